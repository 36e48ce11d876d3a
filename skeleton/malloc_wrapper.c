/*
 * malloc_wrapper.c : fait passer malloc, free et toute leur famille par
 * hp_malloc/hp_free, pour n'importe quel programme, sans le recompiler :
 *
 *   LD_PRELOAD=./libmalloc_wrapper.so ./bench > result_lib.csv
 *
 * Le chargeur dynamique lie alors les appels à malloc du programme (et des
 * bibliothèques qu'il utilise) aux fonctions de ce fichier plutôt qu'à celles
 * de la libc. Règles suivies, comme la libc :
 *  - malloc(0) rend un pointeur unique qu'on peut libérer ;
 *  - calloc et reallocarray détectent le débordement de n * taille (ENOMEM) ;
 *  - realloc copie la plus petite des deux tailles ;
 *  - chaque demande d'alignement est respectée ;
 *  - un pointeur qui ne vient pas de la réserve est rendu à la libc, et quand
 *    la réserve est pleine (ou hp_malloc pas encore écrit) on demande à la libc.
 * Un seul verrou protège l'allocateur (fils d'exécution, fork) ; rien n'est
 * jamais écrit sur stdout.
 */
#define _GNU_SOURCE
#include "malloc_wrapper.h"
#include "hp_allocator.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Les fonctions de la libc et l'amorçage                                   */
/* ------------------------------------------------------------------------ */

static struct {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	size_t (*malloc_usable_size)(void *);
} libc;

/* dlsym peut lui-même appeler malloc : pendant qu'on cherche la libc, on
 * sert les demandes dans ce tampon statique, jamais libéré. */
#define TAILLE_AMORCE (64 * 1024)
static _Alignas(64) char amorce[TAILLE_AMORCE];
static size_t amorce_utilise;

/* Par fil d'exécution : 1 pendant la recherche de la libc, et pendant que
 * l'allocateur travaille (hp_init ouvre /proc/meminfo, ce qui appelle
 * malloc) : ces appels imbriqués vont à la libc au lieu de se bloquer sur
 * le verrou déjà pris. */
static __thread int en_amorcage __attribute__((tls_model("initial-exec")));
static __thread int dans_allocateur __attribute__((tls_model("initial-exec")));

static pthread_mutex_t verrou = PTHREAD_MUTEX_INITIALIZER;

static void trouve_libc(void)
{
	if (libc.free != NULL)
		return;
	en_amorcage = 1;
	libc.malloc = dlsym(RTLD_NEXT, "malloc");
	libc.calloc = dlsym(RTLD_NEXT, "calloc");
	libc.realloc = dlsym(RTLD_NEXT, "realloc");
	libc.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	libc.malloc_usable_size = dlsym(RTLD_NEXT, "malloc_usable_size");
	libc.free = dlsym(RTLD_NEXT, "free"); /* en dernier : marque la fin */
	en_amorcage = 0;
}

/* Chaque bloc d'amorce garde sa taille dans les 16 octets qui le précèdent. */
static void *alloue_amorce(size_t taille)
{
	size_t *p;
	size_t pris = 16 + calcule_multiple_aligne(taille);

	pthread_mutex_lock(&verrou);
	if (taille > TAILLE_AMORCE || pris > TAILLE_AMORCE - amorce_utilise) {
		pthread_mutex_unlock(&verrou);
		return NULL;
	}
	p = (size_t *)(amorce + amorce_utilise + 16);
	amorce_utilise += pris;
	pthread_mutex_unlock(&verrou);
	p[-1] = taille;
	return p;
}

static int dans_amorce(const void *p)
{
	return (const char *)p >= amorce && (const char *)p < amorce + TAILLE_AMORCE;
}

static int dans_reserve(const void *p)
{
	const char *debut = reserve.mem;

	return debut != NULL && (const char *)p >= debut && (const char *)p < debut + reserve.taille;
}

/* ------------------------------------------------------------------------ */
/* Statistiques (compilées seulement sans HP_SANS_STATS)                    */
/* ------------------------------------------------------------------------ */

static struct hp_stats stats;
static const char *plus_haut; /* fin du bloc neuf le plus haut déjà servi */

#ifdef HP_SANS_STATS
#define COMPTE(champ) ((void)0)
#else
#define COMPTE(champ) __atomic_add_fetch(&stats.champ, 1, __ATOMIC_RELAXED)
#endif

/* ------------------------------------------------------------------------ */
/* Blocs de la réserve                                                      */
/* ------------------------------------------------------------------------ */

/* Devant un pointeur sur-aligné (posix_memalign & co), cette marque renvoie
 * au bloc rendu par hp_malloc. Sa valeur magique est impaire : un en-tête de
 * bloc, dont la taille est multiple d'ALIGNEMENT, ne peut pas la contenir. */
struct marque {
	size_t magique;
	char *origine;
};
#define MAGIQUE ((size_t)0xA11A5ED0B10C0001ULL)
_Static_assert(sizeof(struct marque) == TAILLE_EN_TETE, "marque de la taille d'un en-tête");

static struct marque *marque_de(void *p)
{
	struct marque *m = (struct marque *)p - 1;

	return m->magique == MAGIQUE ? m : NULL;
}

/* Octets utilisables à partir de p (bloc de la réserve). */
static size_t taille_bloc(void *p)
{
	struct marque *m = marque_de(p);
	char *origine = m != NULL ? m->origine : p;
	struct bloc *b = (struct bloc *)(origine - TAILLE_EN_TETE);

	return b->taille - (size_t)((char *)p - origine);
}

/* hp_malloc sous le verrou ; NULL si la réserve ne peut pas servir. */
static void *depuis_reserve(size_t taille)
{
	int avait_reserve;
	char *p;

	if (dans_allocateur)
		return NULL;
	pthread_mutex_lock(&verrou);
	dans_allocateur = 1;
	avait_reserve = reserve.mem != NULL;
	p = hp_malloc(taille);
	if (!avait_reserve && reserve.mem != NULL)
		COMPTE(mmap);
	if (p != NULL) {
		size_t t = ((struct bloc *)(p - TAILLE_EN_TETE))->taille;

		COMPTE(servis_reserve);
		/* un bloc neuf est toujours pris au-delà de tous les autres */
		if (p + t <= plus_haut)
			COMPTE(recycles);
		else
			plus_haut = p + t;
		stats.octets_utilises += t;
		if (stats.octets_utilises > stats.pic)
			stats.pic = stats.octets_utilises;
	}
	dans_allocateur = 0;
	pthread_mutex_unlock(&verrou);
	return p;
}

static void vers_reserve(void *p)
{
	struct marque *m = marque_de(p);
	char *origine = m != NULL ? m->origine : p;

	pthread_mutex_lock(&verrou);
	dans_allocateur = 1;
	stats.octets_utilises -= ((struct bloc *)(origine - TAILLE_EN_TETE))->taille;
	hp_free(origine);
	dans_allocateur = 0;
	pthread_mutex_unlock(&verrou);
}

/* ------------------------------------------------------------------------ */
/* L'enveloppe                                                              */
/* ------------------------------------------------------------------------ */

void *wrap_malloc(size_t taille)
{
	int errno_avant = errno;
	void *p;

	trouve_libc();
	if (en_amorcage)
		return alloue_amorce(taille);
	COMPTE(malloc);
	p = depuis_reserve(taille);
	if (p == NULL) {
		COMPTE(repli_libc);
		return libc.malloc(taille); /* errno = ENOMEM si elle échoue aussi */
	}
	errno = errno_avant; /* un succès ne change pas errno */
	return p;
}

void wrap_free(void *ptr)
{
	if (ptr == NULL || dans_amorce(ptr))
		return; /* l'amorce n'est jamais rendue */
	COMPTE(free);
	if (dans_reserve(ptr)) {
		vers_reserve(ptr);
		return;
	}
	trouve_libc();
	libc.free(ptr);
}

void *wrap_calloc(size_t n, size_t taille)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, taille, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	trouve_libc();
	if (en_amorcage)
		return alloue_amorce(total); /* l'amorce est déjà à zéro */
	COMPTE(calloc);
	p = depuis_reserve(total);
	if (p == NULL) {
		COMPTE(repli_libc);
		return libc.calloc(n, taille);
	}
	return memset(p, 0, total); /* un bloc recyclé contient d'anciennes données */
}

size_t wrap_malloc_usable_size(void *ptr)
{
	if (ptr == NULL)
		return 0;
	if (dans_amorce(ptr))
		return ((size_t *)ptr)[-1];
	if (dans_reserve(ptr))
		return taille_bloc(ptr);
	trouve_libc();
	return libc.malloc_usable_size(ptr);
}

void *wrap_realloc(void *ptr, size_t taille)
{
	size_t ancienne;
	void *nouveau;

	if (ptr == NULL)
		return wrap_malloc(taille);
	if (taille == 0) {
		wrap_free(ptr); /* comme la libc : libère et rend NULL */
		return NULL;
	}
	COMPTE(realloc);
	if (!dans_reserve(ptr) && !dans_amorce(ptr)) {
		trouve_libc();
		return libc.realloc(ptr, taille);
	}
	ancienne = wrap_malloc_usable_size(ptr);
	if (taille <= ancienne)
		return ptr; /* tient dans le bloc actuel */
	nouveau = wrap_malloc(taille);
	if (nouveau == NULL)
		return NULL; /* l'ancien bloc reste valide */
	memcpy(nouveau, ptr, ancienne < taille ? ancienne : taille);
	wrap_free(ptr);
	return nouveau;
}

void *wrap_reallocarray(void *ptr, size_t n, size_t taille)
{
	size_t total;

	if (__builtin_mul_overflow(n, taille, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return wrap_realloc(ptr, total);
}

/* Bloc de taille octets aligné sur alignement (puissance de 2). */
static void *alloue_aligne(size_t alignement, size_t taille)
{
	size_t demande;
	char *p, *aligne;

	if (alignement <= ALIGNEMENT)
		return wrap_malloc(taille);
	if (__builtin_add_overflow(taille, alignement + sizeof(struct marque), &demande)) {
		errno = ENOMEM;
		return NULL;
	}
	trouve_libc();
	COMPTE(malloc);
	p = depuis_reserve(demande);
	if (p == NULL) {
		void *q = NULL;
		int e = libc.posix_memalign(&q, alignement, taille);

		COMPTE(repli_libc);
		if (e != 0)
			errno = e;
		return q;
	}
	aligne = (char *)(((uintptr_t)p + sizeof(struct marque) + alignement - 1) & ~(uintptr_t)(alignement - 1));
	((struct marque *)aligne)[-1] = (struct marque){ MAGIQUE, p };
	return aligne;
}

static int puissance_de_2(size_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

int wrap_posix_memalign(void **ptr, size_t alignement, size_t taille)
{
	void *p;

	if (!puissance_de_2(alignement) || alignement % sizeof(void *) != 0)
		return EINVAL;
	p = alloue_aligne(alignement, taille);
	if (p == NULL)
		return ENOMEM;
	*ptr = p;
	return 0;
}

void *wrap_aligned_alloc(size_t alignement, size_t taille)
{
	if (!puissance_de_2(alignement)) {
		errno = EINVAL;
		return NULL;
	}
	return alloue_aligne(alignement, taille);
}

void *wrap_memalign(size_t alignement, size_t taille)
{
	size_t a = ALIGNEMENT;

	while (a < alignement && a <= SIZE_MAX / 2) /* la libc arrondit à la puissance de 2 */
		a *= 2;
	return alloue_aligne(a, taille);
}

void *wrap_valloc(size_t taille)
{
	return alloue_aligne((size_t)sysconf(_SC_PAGESIZE), taille);
}

void *wrap_pvalloc(size_t taille)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (taille > SIZE_MAX - page) {
		errno = ENOMEM;
		return NULL;
	}
	return alloue_aligne(page, taille == 0 ? page : (taille + page - 1) / page * page);
}

/* ------------------------------------------------------------------------ */
/* Statistiques, fork, fin du programme                                     */
/* ------------------------------------------------------------------------ */

void hp_stats_lire(struct hp_stats *s)
{
	pthread_mutex_lock(&verrou);
	*s = stats;
	pthread_mutex_unlock(&verrou);
}

void hp_stats_afficher(int fd)
{
	struct hp_stats s;
	char texte[1024];
	int n;

	hp_stats_lire(&s);
	/* snprintf + write : pas de malloc caché dans un FILE * */
	n = snprintf(texte, sizeof(texte),
		     "[hp] statistiques de l'allocateur (réserve : %s)\n"
		     "[hp]   appels : malloc %zu, free %zu, realloc %zu, calloc %zu\n"
		     "[hp]   servis par la réserve %zu, dont recyclés %zu ; repli sur la libc %zu\n"
		     "[hp]   appels système : mmap %zu, munmap %zu\n"
		     "[hp]   octets en usage %zu, pic %zu\n",
		     hp_nom_support(reserve.support), s.malloc, s.free, s.realloc, s.calloc,
		     s.servis_reserve, s.recycles, s.repli_libc, s.mmap, s.munmap,
		     s.octets_utilises, s.pic);
	if (n > 0 && write(fd, texte, (size_t)n < sizeof(texte) ? (size_t)n : sizeof(texte) - 1) < 0)
		return; /* rien à faire de plus si stderr est fermé */
}

static void avant_fork(void)
{
	pthread_mutex_lock(&verrou);
}

static void apres_fork(void)
{
	pthread_mutex_unlock(&verrou);
}

/* Copie de stderr prise au démarrage : certains programmes (ls, sort…)
 * ferment stderr avant la fin, le résumé de HP_STATS passerait à la trappe. */
static int sortie_stats = -1;

static int stats_demandees(void)
{
	const char *s = getenv("HP_STATS");

	return s != NULL && *s != '\0' && *s != '0';
}

__attribute__((constructor)) static void debut(void)
{
	trouve_libc();
	if (stats_demandees())
		sortie_stats = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	/* Pas de fork au milieu d'un hp_malloc : le fils hériterait d'une liste
	 * libre à moitié modifiée et d'un verrou pris pour toujours. */
	pthread_atfork(avant_fork, apres_fork, apres_fork);
}

__attribute__((destructor)) static void fin(void)
{
	if (sortie_stats >= 0)
		hp_stats_afficher(sortie_stats);
}

/* ------------------------------------------------------------------------ */
/* Les noms de la libc (absents de la version pour les tests sous ASan)     */
/* ------------------------------------------------------------------------ */

#ifndef SANS_NOMS_LIBC
void *malloc(size_t taille) { return wrap_malloc(taille); }
void free(void *ptr) { wrap_free(ptr); }
void *calloc(size_t n, size_t taille) { return wrap_calloc(n, taille); }
void *realloc(void *ptr, size_t taille) { return wrap_realloc(ptr, taille); }
void *reallocarray(void *ptr, size_t n, size_t taille) { return wrap_reallocarray(ptr, n, taille); }
int posix_memalign(void **ptr, size_t a, size_t taille) { return wrap_posix_memalign(ptr, a, taille); }
void *aligned_alloc(size_t a, size_t taille) { return wrap_aligned_alloc(a, taille); }
void *memalign(size_t a, size_t taille) { return wrap_memalign(a, taille); }
void *valloc(size_t taille) { return wrap_valloc(taille); }
void *pvalloc(size_t taille) { return wrap_pvalloc(taille); }
size_t malloc_usable_size(void *ptr) { return wrap_malloc_usable_size(ptr); }
#endif
