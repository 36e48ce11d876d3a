/*
 * hp_allocator.h : un allocateur mémoire sur une réserve en « huge pages ».
 *
 * La réserve est une grande zone obtenue une fois pour toutes par mmap()
 * (hp_init). Chaque bloc distribué commence par un en-tête (struct bloc)
 * suivi de la zone rendue à l'utilisateur :
 *
 *   reserve.mem                                   reserve.mem + alloue
 *   | en-tête | données ... | en-tête | données ... | (jamais distribué)  |
 *             ^ pointeur rendu par __hp_malloc
 *
 * Invariants (vérifiés par les tests) :
 *  - tout pointeur rendu est aligné sur ALIGNEMENT et situé dans la réserve ;
 *  - l'en-tête d'un bloc est à TAILLE_EN_TETE octets avant ses données, et son
 *    champ taille vaut la taille arrondie par calcule_multiple_aligne ;
 *  - deux blocs vivants ne se chevauchent jamais ;
 *  - la liste « libre » ne contient que des blocs libérés, chacun une seule
 *    fois, et se termine par NULL (jamais de cycle).
 */
#ifndef HP_ALLOCATOR_H
#define HP_ALLOCATOR_H

#include <stddef.h>

/* Alignement garanti des pointeurs rendus : celui de malloc sur x86_64. */
#define ALIGNEMENT 16

/* Taille de la réserve quand HP_RESERVE_MIO n'est pas défini : assez pour le
 * plus grand tampon du bench (4 fois un cache de dernier niveau de 32 Mio)
 * plus les en-têtes. Elle est arrondie au multiple de la taille des pages. */
#define HP_RESERVE_DEFAUT ((size_t)160 << 20)

/* En-tête placé devant chaque bloc. */
struct bloc {
	size_t taille;        /* taille des données (multiple d'ALIGNEMENT) */
	struct bloc *suivant; /* bloc suivant dans la liste libre, ou NULL */
};

/* Les données suivent l'en-tête : sa taille garde donc l'alignement. */
#define TAILLE_EN_TETE (sizeof(struct bloc))
_Static_assert(sizeof(struct bloc) % ALIGNEMENT == 0,
	       "l'en-tête doit garder l'alignement des données");

/* Type de pages obtenu par hp_init, du plus souhaitable au moins. */
enum hp_support {
	HP_AUCUN = 0,   /* réserve pas encore créée */
	HP_HUGETLBFS,   /* fichier sur un montage hugetlbfs */
	HP_MAP_HUGETLB, /* mmap(MAP_HUGETLB) anonyme */
	HP_THP,         /* pages normales + madvise(MADV_HUGEPAGE) */
	HP_NORMALES,    /* pages de 4 Kio */
};

/* La réserve : une seule par processus. */
struct reserve {
	void *mem;              /* début de la zone */
	size_t taille;          /* octets utilisables à partir de mem */
	size_t taille_mappee;   /* longueur passée à mmap (pour munmap) */
	void *base_mappee;      /* adresse rendue par mmap (pour munmap) */
	int fd;                 /* fichier hugetlbfs, ou -1 */
	enum hp_support support;
};

extern struct reserve reserve;
extern struct bloc *libre; /* tête de la liste des blocs libres */

/* Fournies : création et destruction de la réserve.
 * hp_init rend 0, ou -1 avec un message sur stderr. Variables d'environnement :
 *   HP_PAGES=auto|hugetlbfs|hugetlb|thp|normales  exige un type de pages ;
 *   HP_HUGETLBFS=dossier   montage hugetlbfs (par défaut /mnt/huge) ;
 *   HP_RESERVE_MIO=n       taille de la réserve en Mio ;
 *   HP_VERBEUX=1           annonce sur stderr le type de pages obtenu. */
int hp_init(void);
void hp_finalize(void);
const char *hp_nom_support(enum hp_support support);

/* Fournies : outils pour l'allocateur. */
size_t calcule_multiple_aligne(size_t taille);
void bloc_init(struct bloc *bloc, size_t taille);

/* À écrire (questions 13 à 20). */
void *__hp_malloc(size_t taille);
struct bloc *recherche_bloc_libre(size_t taille);
void __hp_free(void *ptr);

/* Fournies : l'interface publique (crée la réserve au premier appel). */
void *hp_malloc(size_t taille);
void hp_free(void *ptr);

#endif
