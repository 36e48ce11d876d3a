/*
 * malloc_wrapper.h : statistiques de l'enveloppe de malloc (malloc_wrapper.c).
 *
 * Comme get_stat() de l'allocateur qui a inspiré ce TD : combien d'appels à
 * chaque fonction, combien de blocs recyclés depuis la liste libre, combien
 * d'appels système mmap/munmap, et la mémoire en usage.
 */
#ifndef MALLOC_WRAPPER_H
#define MALLOC_WRAPPER_H

#include <stddef.h>

struct hp_stats {
	size_t malloc, free, realloc, calloc; /* appels reçus (familles comprises) */
	size_t servis_reserve; /* blocs donnés par hp_malloc */
	size_t recycles;       /* ... dont blocs déjà servis puis libérés */
	size_t repli_libc;     /* demandes passées à la libc (réserve pleine) */
	size_t mmap, munmap;   /* appels système de la réserve */
	size_t octets_utilises; /* octets des blocs vivants de la réserve */
	size_t pic;             /* maximum atteint par octets_utilises */
};

/* Copie cohérente des compteurs (prise sous le verrou de l'enveloppe). */
void hp_stats_lire(struct hp_stats *s);

/* Résumé en français sur le descripteur fd (2 : stderr). HP_STATS=1 dans
 * l'environnement l'affiche à la fin du programme. */
void hp_stats_afficher(int fd);

/* Le cœur de l'enveloppe, sous ces noms pour que les tests (et ASan) puissent
 * l'appeler sans remplacer le malloc du programme. */
void *wrap_malloc(size_t taille);
void wrap_free(void *ptr);
void *wrap_calloc(size_t n, size_t taille);
void *wrap_realloc(void *ptr, size_t taille);
void *wrap_reallocarray(void *ptr, size_t n, size_t taille);
int wrap_posix_memalign(void **ptr, size_t alignement, size_t taille);
void *wrap_aligned_alloc(size_t alignement, size_t taille);
void *wrap_memalign(size_t alignement, size_t taille);
void *wrap_valloc(size_t taille);
void *wrap_pvalloc(size_t taille);
size_t wrap_malloc_usable_size(void *ptr);

#endif
