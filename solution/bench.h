/*
 * bench.h : mesure de la hiérarchie mémoire (caches L1/L2/L3, RAM, TLB).
 *
 * Pour chaque taille de tampon, de quelques Kio à plusieurs fois le dernier
 * cache, on mesure le temps moyen d'un accès mémoire. Trois modes :
 *  - stride : benchRead, lecture séquentielle d'une ligne de cache tous les
 *             STEP_SIZE entiers (l'algorithme du TD ; les préchargeurs du
 *             processeur devinent la suite et masquent une partie des paliers) ;
 *  - chase  : poursuite de pointeurs dans une permutation aléatoire des lignes
 *             du tampon : chaque lecture dépend de la précédente, le
 *             préchargeur ne peut rien deviner, on mesure la vraie latence ;
 *  - tlb    : la même poursuite, mais une seule ligne par page de 4 Kio : les
 *             lignes tiennent en cache, c'est la portée du TLB qui se voit.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <time.h>

/* Pas de benchRead, en entiers : 16 × 4 octets = une ligne de cache de 64. */
#define STEP_SIZE 16
#define TAILLE_LIGNE 64
#define TAILLE_PAGE 4096

/* Une lecture de tout le tampon avant de chronométrer : les données sont
 * alors dans les caches (si elles y tiennent) et les pages dans le TLB. */
#define PRE_CHAUFFE_DU_CACHE(tampon, taille) prechauffe((tampon), (taille))

/* Horloge monotone : insensible aux réglages de l'heure du système. */
#define LANCER_CHRONO(debut) clock_gettime(CLOCK_MONOTONIC, &(debut))
#define ARRETER_CHRONO(fin) clock_gettime(CLOCK_MONOTONIC, &(fin))

enum mode_bench { MODE_CHASE, MODE_STRIDE, MODE_TLB };

void prechauffe(const void *tampon, size_t taille);

/* Temps moyen d'un accès (ns) : lecture séquentielle au pas STEP_SIZE,
 * en repassant sur le tampon jusqu'à au moins acces lectures. */
double benchRead(const int *tampon, size_t taille, size_t acces);

/* Relie les lignes de tampon[0..taille) en un cycle aléatoire (une ligne
 * tous les « pas » octets) ; rend le nombre de maillons. */
size_t prepare_poursuite(char *tampon, size_t taille, size_t pas, unsigned long graine);

/* Temps moyen d'une lecture dépendante (ns) le long du cycle. */
double benchChase(char *tampon, size_t acces);

/* Durée en nanosecondes entre deux instants. */
double duree_ns(struct timespec debut, struct timespec fin);

#endif
