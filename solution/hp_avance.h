/* SOLUTION SEULEMENT : absent de l'archive des étudiants. */
/*
 * hp_avance.h : l'allocateur avancé du corrigé (hp_avance.c), sous des noms
 * qui ne remplacent pas ceux de la libc.
 *
 * Préchargée (LD_PRELOAD=./libhp_avance.so), la bibliothèque exporte aussi
 * malloc, free et toute leur famille. Compilé avec -DSANS_NOMS_LIBC, le
 * fichier n'exporte que les noms avance_* : un programme de tests peut alors
 * l'appeler sous AddressSanitizer, qui garde le malloc du processus.
 */
#ifndef HP_AVANCE_H
#define HP_AVANCE_H

#include <stddef.h>

#include "malloc_wrapper.h" /* struct hp_stats, hp_stats_lire, hp_stats_afficher */

void *avance_malloc(size_t taille);
void avance_free(void *ptr);
void *avance_calloc(size_t n, size_t taille);
void *avance_realloc(void *ptr, size_t taille);
void *avance_reallocarray(void *ptr, size_t n, size_t taille);
int avance_posix_memalign(void **ptr, size_t alignement, size_t taille);
void *avance_aligned_alloc(size_t alignement, size_t taille);
void *avance_memalign(size_t alignement, size_t taille);
void *avance_valloc(size_t taille);
void *avance_pvalloc(size_t taille);
size_t avance_malloc_usable_size(void *ptr);

/* Pour les tests : parcourt tout le tas sous le verrou et rend NULL s'il est
 * cohérent (tailles, bits « précédent en usage », pieds des blocs libres,
 * pas deux blocs libres voisins, listes et carte de bits d'accord avec les
 * blocs), sinon la description de la première anomalie. */
const char *avance_verifie_tas(void);

#endif
