/*
 * check_avance.c : le contrat de l'allocateur avancé (solution/hp_avance.c).
 *
 * Compilé avec -DSANS_NOMS_LIBC par tests/test_avance.py, une fois tel quel
 * et une fois sous AddressSanitizer et UBSan : le malloc du processus (et de
 * Check) reste celui de la libc, ou d'ASan ; les tests appellent les
 * fonctions avance_*. Chaque test tourne dans un processus fils (mode fork
 * de Check) : l'allocateur y repart de son état initial.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp_avance.h"

#define EXIGE(condition, ...) \
	do { \
		if (!(condition)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#define MIO ((size_t)1 << 20)

static void tas_coherent(const char *quand)
{
	const char *anomalie = avance_verifie_tas();

	EXIGE(anomalie == NULL, "tas incohérent %s : %s", quand, anomalie);
}

static unsigned char motif(uintptr_t graine, size_t i)
{
	return (unsigned char)(graine * 131 + i * 7 + 1);
}

static void remplit(void *p, size_t n, uintptr_t graine)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = motif(graine, i);
}

/* n si les n premiers octets portent le motif, sinon l'indice du premier faux. */
static size_t intact(const void *p, size_t n, uintptr_t graine)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i] != motif(graine, i))
			return i;
	return n;
}

static unsigned long hasard(unsigned long *etat)
{
	*etat = *etat * 6364136223846793005UL + 1442695040888963407UL;
	return *etat >> 17;
}

/* ------------------------------------------------------------------------ */
/* Le contrat de chaque fonction                                            */
/* ------------------------------------------------------------------------ */

START_TEST(test_malloc_aligne_et_assez_grand)
{
	static const size_t tailles[] = { 1, 7, 8, 15, 16, 24, 25, 31, 32, 100, 248, 249, 256, 257, 1000, 1024,
					  4095, 4096, 10000, 65536, 200000, 2 * MIO };

	for (size_t i = 0; i < sizeof(tailles) / sizeof(*tailles); i++) {
		size_t n = tailles[i];
		char *p = avance_malloc(n);

		EXIGE(p != NULL, "malloc(%zu) a rendu NULL", n);
		EXIGE((uintptr_t)p % 16 == 0, "malloc(%zu) : adresse %p non alignée sur 16", n, (void *)p);
		EXIGE(avance_malloc_usable_size(p) >= n, "malloc_usable_size(malloc(%zu)) = %zu, trop petit", n,
		      avance_malloc_usable_size(p));
		memset(p, 0x5A, n);
		avance_free(p);
	}
	tas_coherent("après des malloc de toutes tailles");
}
END_TEST

START_TEST(test_malloc_zero_unique_et_liberable)
{
	void *a = avance_malloc(0), *b = avance_malloc(0);

	EXIGE(a != NULL && b != NULL && a != b, "malloc(0) : deux pointeurs distincts attendus (%p, %p)", a, b);
	avance_free(a);
	avance_free(b);
	tas_coherent("après malloc(0)");
}
END_TEST

START_TEST(test_free_null)
{
	avance_free(NULL);
	EXIGE(avance_malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) = 0 attendu");
}
END_TEST

START_TEST(test_calloc_met_a_zero)
{
	static const size_t tailles[] = { 200, 5000, 300000 };

	for (size_t i = 0; i < sizeof(tailles) / sizeof(*tailles); i++) {
		size_t n = tailles[i];
		unsigned char *p = avance_malloc(n), *q;

		memset(p, 0xAB, n);
		avance_free(p); /* le bloc sali sera sans doute resservi */
		q = avance_calloc(n / 8, 8);
		EXIGE(q != NULL, "calloc(%zu, 8) a rendu NULL", n / 8);
		for (size_t k = 0; k < n / 8 * 8; k++)
			EXIGE(q[k] == 0, "calloc(%zu, 8) : octet %zu = %#x au lieu de 0", n / 8, k, q[k]);
		avance_free(q);
	}
}
END_TEST

START_TEST(test_debordements)
{
	void *p = avance_malloc(64);

	errno = 0;
	EXIGE(avance_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc(SIZE_MAX/2, 3) : NULL et ENOMEM attendus");
	errno = 0;
	EXIGE(avance_reallocarray(NULL, SIZE_MAX / 4, 8) == NULL && errno == ENOMEM,
	      "reallocarray(NULL, SIZE_MAX/4, 8) : NULL et ENOMEM attendus");
	errno = 0;
	EXIGE(avance_malloc(SIZE_MAX) == NULL && errno == ENOMEM, "malloc(SIZE_MAX) : NULL et ENOMEM attendus");
	errno = 0;
	EXIGE(avance_malloc(PTRDIFF_MAX) == NULL && errno == ENOMEM, "malloc(PTRDIFF_MAX) : NULL et ENOMEM attendus");
	remplit(p, 64, 3);
	errno = 0;
	EXIGE(avance_realloc(p, SIZE_MAX - 8) == NULL && errno == ENOMEM, "realloc(p, SIZE_MAX - 8) : NULL et ENOMEM attendus");
	EXIGE(intact(p, 64, 3) == 64, "un realloc raté doit laisser l'ancien bloc intact");
	errno = 0;
	EXIGE(avance_reallocarray(p, SIZE_MAX / 2, 3) == NULL && errno == ENOMEM,
	      "reallocarray(p, SIZE_MAX/2, 3) : NULL et ENOMEM attendus");
	avance_free(p);
}
END_TEST

START_TEST(test_errno_intact_apres_un_succes)
{
	void *p, *q = NULL;

	errno = EILSEQ;
	p = avance_malloc(100);
	p = avance_realloc(p, 300000);
	EXIGE(avance_posix_memalign(&q, 64, 100) == 0, "posix_memalign(64, 100) a échoué");
	avance_free(p);
	avance_free(q);
	avance_free(avance_calloc(10, 10));
	EXIGE(errno == EILSEQ, "un succès ne doit pas changer errno (%d trouvé)", errno);
}
END_TEST

START_TEST(test_realloc_contrat)
{
	char *p = avance_realloc(NULL, 40), *q;

	EXIGE(p != NULL && (uintptr_t)p % 16 == 0, "realloc(NULL, 40) : comme malloc(40)");
	remplit(p, 40, 1);
	q = avance_realloc(p, 5000);
	EXIGE(q != NULL && intact(q, 40, 1) == 40, "realloc(p, 5000) : les 40 octets doivent suivre");
	remplit(q, 5000, 2);
	q = avance_realloc(q, 10);
	EXIGE(q != NULL && intact(q, 10, 2) == 10, "realloc(p, 10) : les 10 premiers octets doivent rester");
	q = avance_realloc(q, 3 * MIO);
	EXIGE(q != NULL && intact(q, 10, 2) == 10, "realloc vers un grand bloc : le contenu doit suivre");
	remplit(q, 3 * MIO, 4);
	q = avance_realloc(q, 100);
	EXIGE(q != NULL && intact(q, 100, 4) == 100, "realloc d'un grand bloc vers un petit : le contenu doit suivre");
	EXIGE(avance_realloc(q, 0) == NULL, "realloc(p, 0) libère et rend NULL (comme la glibc)");
	p = avance_malloc(100);
	EXIGE(p == q, "realloc(p, 0) doit libérer le bloc : malloc(100) devrait le resservir aussitôt");
	avance_free(p);
	tas_coherent("après des realloc");
}
END_TEST

START_TEST(test_posix_memalign)
{
	static const size_t alignements[] = { 8, 16, 32, 64, 256, 4096, 65536, MIO };
	void *p = (void *)1;

	for (size_t i = 0; i < sizeof(alignements) / sizeof(*alignements); i++) {
		size_t a = alignements[i];
		void *q = NULL;

		EXIGE(avance_posix_memalign(&q, a, 100) == 0, "posix_memalign(%zu, 100) a échoué", a);
		EXIGE(q != NULL && (uintptr_t)q % a == 0, "posix_memalign(%zu) : %p mal aligné", a, q);
		EXIGE(avance_malloc_usable_size(q) >= 100, "posix_memalign(%zu, 100) : bloc trop petit", a);
		memset(q, 1, 100);
		avance_free(q);
	}
	EXIGE(avance_posix_memalign(&p, 24, 10) == EINVAL && p == (void *)1, "posix_memalign(24) : EINVAL, *ptr intact");
	EXIGE(avance_posix_memalign(&p, 4, 10) == EINVAL && p == (void *)1, "posix_memalign(4) : EINVAL, *ptr intact");
	EXIGE(avance_posix_memalign(&p, 0, 10) == EINVAL && p == (void *)1, "posix_memalign(0) : EINVAL, *ptr intact");
	EXIGE(avance_posix_memalign(&p, 64, SIZE_MAX / 2) == ENOMEM && p == (void *)1,
	      "posix_memalign(64, SIZE_MAX/2) : ENOMEM, *ptr intact");
	tas_coherent("après posix_memalign");
}
END_TEST

START_TEST(test_aligned_alloc_et_memalign)
{
	void *p;

	errno = 0;
	EXIGE(avance_aligned_alloc(48, 96) == NULL && errno == EINVAL, "aligned_alloc(48) : NULL et EINVAL attendus");
	errno = 0;
	EXIGE(avance_aligned_alloc(0, 96) == NULL && errno == EINVAL, "aligned_alloc(0) : NULL et EINVAL attendus");
	p = avance_aligned_alloc(128, 3 * 128);
	EXIGE(p != NULL && (uintptr_t)p % 128 == 0, "aligned_alloc(128, 384) : bloc aligné sur 128 attendu");
	memset(p, 2, 3 * 128);
	avance_free(p);
	p = avance_memalign(48, 10); /* la glibc arrondit à 64 */
	EXIGE(p != NULL && (uintptr_t)p % 64 == 0, "memalign(48) : alignement 64 attendu");
	avance_free(p);
	p = avance_memalign(4, 10);
	EXIGE(p != NULL && (uintptr_t)p % 16 == 0, "memalign(4) : un bloc ordinaire attendu");
	avance_free(p);
	p = avance_memalign(8192, 200000);
	EXIGE(p != NULL && (uintptr_t)p % 8192 == 0, "memalign(8192, 200000) : bloc aligné attendu");
	memset(p, 3, 200000);
	avance_free(p);
	tas_coherent("après aligned_alloc et memalign");
}
END_TEST

START_TEST(test_valloc_pvalloc)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *v = avance_valloc(10), *pv = avance_pvalloc(page + 1), *zero = avance_pvalloc(0);

	EXIGE(v != NULL && (uintptr_t)v % page == 0, "valloc(10) : alignement sur une page attendu");
	EXIGE(pv != NULL && (uintptr_t)pv % page == 0, "pvalloc : alignement sur une page attendu");
	EXIGE(avance_malloc_usable_size(pv) >= 2 * page, "pvalloc(page + 1) : deux pages utilisables attendues");
	EXIGE(zero != NULL && avance_malloc_usable_size(zero) >= page, "pvalloc(0) : une page attendue");
	memset(pv, 3, 2 * page);
	memset(v, 4, 10);
	avance_free(v);
	avance_free(pv);
	avance_free(zero);
	tas_coherent("après valloc et pvalloc");
}
END_TEST

START_TEST(test_statistiques)
{
	struct hp_stats avant, apres;
	void *p, *q, *r;

	hp_stats_lire(&avant);
	p = avance_malloc(64);
	avance_free(p);
	q = avance_malloc(64); /* le même bloc, repris au cache du fil */
	r = avance_calloc(2, 8);
	r = avance_realloc(r, 1000);
	hp_stats_lire(&apres);
	EXIGE(q == p, "le bloc libéré doit être resservi aussitôt (%p attendu, %p obtenu)", p, q);
	EXIGE(apres.malloc == avant.malloc + 2 && apres.free == avant.free + 1, "malloc/free comptés");
	EXIGE(apres.calloc == avant.calloc + 1 && apres.realloc == avant.realloc + 1, "calloc/realloc comptés");
	EXIGE(apres.servis_reserve >= avant.servis_reserve + 3, "blocs servis comptés");
	EXIGE(apres.recycles >= avant.recycles + 1, "le bloc resservi doit compter comme recyclé");
	EXIGE(apres.repli_libc == 0, "jamais de repli sur la libc");
	EXIGE(apres.mmap >= 1, "le tas vient de mmap : au moins un appel compté");
	EXIGE(apres.octets_utilises >= avant.octets_utilises + 64 + 1000 && apres.pic >= apres.octets_utilises,
	      "octets en usage et pic");
	avance_free(q);
	avance_free(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Fusion, realloc sur place, grands blocs                                  */
/* ------------------------------------------------------------------------ */

START_TEST(test_fusion_reutilise_la_memoire)
{
	char *a = avance_malloc(3000), *b = avance_malloc(3000), *c = avance_malloc(3000);
	char *garde = avance_malloc(3000), *d; /* c ne touche pas le sommet */

	avance_free(a);
	avance_free(c);
	avance_free(b); /* fusionne avec ses deux voisins */
	tas_coherent("après la fusion de trois voisins");
	d = avance_malloc(8500);
	EXIGE(d >= a && d + 8500 <= c + 3000,
	      "malloc(8500) doit tenir dans les trois blocs fusionnés [%p, %p), obtenu %p", (void *)a,
	      (void *)(c + 3000), (void *)d);
	memset(d, 9, 8500);
	avance_free(d);
	avance_free(garde);
	tas_coherent("après la réutilisation");
}
END_TEST

START_TEST(test_realloc_grandit_sur_place)
{
	char *p = avance_malloc(2000), *voisin = avance_malloc(2000), *garde = avance_malloc(2000), *q;

	remplit(p, 2000, 5);
	avance_free(voisin);
	q = avance_realloc(p, 3900);
	EXIGE(q == p, "realloc(p, 3900) avec un voisin libre : sur place attendu (%p, obtenu %p)", (void *)p, (void *)q);
	EXIGE(intact(q, 2000, 5) == 2000, "realloc sur place : contenu abîmé");
	avance_free(garde); /* q touche maintenant le sommet */
	tas_coherent("après realloc sur place");
	p = avance_realloc(q, 100000);
	EXIGE(p == q, "realloc du dernier bloc : il doit grandir dans le sommet");
	EXIGE(intact(p, 2000, 5) == 2000, "realloc dans le sommet : contenu abîmé");
	p = avance_realloc(p, 50);
	EXIGE(p == q && intact(p, 50, 5) == 50, "realloc qui rétrécit : sur place attendu");
	avance_free(p);
	tas_coherent("après realloc dans le sommet");
}
END_TEST

START_TEST(test_grands_blocs_mmap_munmap)
{
	struct hp_stats avant, pendant, apres;
	size_t n = 64 * MIO; /* au-delà du seuil, même relevé au maximum */
	unsigned char *p, *z;

	avance_free(avance_malloc(100)); /* le tas existe */
	hp_stats_lire(&avant);
	p = avance_malloc(n);
	hp_stats_lire(&pendant);
	EXIGE(p != NULL && (uintptr_t)p % 16 == 0, "malloc(64 Mio) a échoué");
	EXIGE(pendant.mmap == avant.mmap + 1, "malloc(64 Mio) : un mmap attendu (%zu de plus)", pendant.mmap - avant.mmap);
	p[0] = 1;
	p[n - 1] = 2;
	p = avance_realloc(p, n + 32 * MIO); /* mremap : sans copie */
	EXIGE(p != NULL && p[0] == 1 && p[n - 1] == 2, "realloc d'un grand bloc : contenu perdu");
	avance_free(p);
	hp_stats_lire(&apres);
	EXIGE(apres.munmap == avant.munmap + 1, "free d'un grand bloc : un munmap attendu (%zu de plus)",
	      apres.munmap - avant.munmap);
	EXIGE(apres.octets_utilises == avant.octets_utilises, "la mémoire d'un grand bloc libéré ne compte plus");
	z = avance_calloc(1, n);
	EXIGE(z != NULL && z[0] == 0 && z[n / 2] == 0 && z[n - 1] == 0, "calloc(1, 64 Mio) : des zéros attendus");
	avance_free(z);
}
END_TEST

START_TEST(test_seuil_mmap_dynamique)
{
	struct hp_stats s0, s1, s2;
	void *p;

	avance_free(avance_malloc(100));
	avance_free(avance_malloc(3000)); /* les deux arènes existent */
	hp_stats_lire(&s0);
	p = avance_malloc(MIO);
	avance_free(p);
	hp_stats_lire(&s1);
	EXIGE(s1.mmap == s0.mmap + 1 && s1.munmap == s0.munmap + 1,
	      "malloc(1 Mio) au départ : mmap puis munmap attendus (seuil initial 128 Kio)");
	p = avance_malloc(MIO);
	hp_stats_lire(&s2);
	EXIGE(s2.mmap == s1.mmap, "après free d'un bloc projeté de 1 Mio, le seuil monte : plus de mmap attendu");
	memset(p, 1, MIO);
	avance_free(p);
	tas_coherent("après un grand bloc servi par le tas");
}
END_TEST

START_TEST(test_double_liberation_detectee)
{
	char *p = avance_malloc(2000), *garde = avance_malloc(2000);

	(void)garde;
	avance_free(p);
	avance_free(p); /* doit arrêter le programme (SIGABRT) */
}
END_TEST

START_TEST(test_verifie_tas_voit_une_corruption)
{
	char *p = avance_malloc(2000), *garde = avance_malloc(2000);
	size_t *pied, sauve;

	avance_free(p);
	tas_coherent("avant la corruption");
	pied = (size_t *)(p - 8 + (((size_t *)p)[-1] & ~(size_t)15) - 8); /* pied du bloc libre */
	sauve = *pied;
	*pied = 12345;
	EXIGE(avance_verifie_tas() != NULL, "un pied de bloc libre abîmé doit être signalé");
	*pied = sauve;
	tas_coherent("après réparation");
	avance_free(garde);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Charge aléatoire, fils d'exécution, fork                                 */
/* ------------------------------------------------------------------------ */

#define EMPLACEMENTS 512

struct emplacement {
	unsigned char *p;
	size_t n;
	uintptr_t graine;
};

static size_t taille_au_hasard(unsigned long *etat)
{
	unsigned long r = hasard(etat);

	if (r % 500 == 0)
		return 128 * 1024 + r % (512 * 1024); /* de temps en temps, un grand bloc */
	return (size_t)1 << (r % 15) | (r >> 20) % 64; /* loi à peu près log-uniforme */
}

static void *alloue_au_hasard(unsigned long *etat, size_t n)
{
	void *p = NULL;

	switch (hasard(etat) % 8) {
	case 0: return avance_calloc(1, n);
	case 1: return avance_posix_memalign(&p, (size_t)32 << hasard(etat) % 6, n) == 0 ? p : NULL;
	case 2: return avance_realloc(NULL, n);
	default: return avance_malloc(n);
	}
}

/* Une opération au hasard sur un emplacement ; un message si ça va mal. */
static const char *opere(struct emplacement *e, unsigned long *etat, uintptr_t graine)
{
	size_t garde;

	if (e->p != NULL && intact(e->p, e->n, e->graine) != e->n)
		return "données d'un bloc vivant écrasées (chevauchement ?)";
	if (e->p != NULL && hasard(etat) % 3 == 0) {
		size_t n = taille_au_hasard(etat);
		unsigned char *q = avance_realloc(e->p, n);

		if (q == NULL)
			return "realloc a rendu NULL";
		garde = n < e->n ? n : e->n;
		if (intact(q, garde, e->graine) != garde)
			return "realloc n'a pas gardé le contenu";
		*e = (struct emplacement){ q, n, graine };
	} else if (e->p != NULL) {
		avance_free(e->p);
		*e = (struct emplacement){ NULL, 0, 0 };
		return NULL;
	} else {
		size_t n = taille_au_hasard(etat);

		*e = (struct emplacement){ alloue_au_hasard(etat, n), n, graine };
		if (e->p == NULL)
			return "malloc a rendu NULL";
		if ((uintptr_t)e->p % 16 != 0 || avance_malloc_usable_size(e->p) < n)
			return "bloc mal aligné ou trop petit";
	}
	remplit(e->p, e->n, e->graine);
	return NULL;
}

START_TEST(test_charge_aleatoire_verifiee)
{
	static struct emplacement e[EMPLACEMENTS];
	unsigned long etat = 42;
	const char *erreur;

	for (int op = 0; op < 60000; op++) {
		int i = (int)(hasard(&etat) % EMPLACEMENTS);

		erreur = opere(&e[i], &etat, (uintptr_t)op);
		EXIGE(erreur == NULL, "opération %d (emplacement %d) : %s", op, i, erreur);
		if (op % 5000 == 0)
			tas_coherent("pendant la charge aléatoire");
	}
	for (int i = 0; i < EMPLACEMENTS; i++)
		avance_free(e[i].p);
	tas_coherent("après la charge aléatoire");
}
END_TEST

/* Les fils s'échangent des blocs par une boîte commune : un bloc est
 * souvent libéré par un autre fil que celui qui l'a alloué. */
#define BOITE 64
static struct emplacement boite[BOITE];
static pthread_mutex_t verrou_boite = PTHREAD_MUTEX_INITIALIZER;

static const char *echange(struct emplacement *e, unsigned long *etat)
{
	int i = (int)(hasard(etat) % BOITE);
	struct emplacement pris;

	pthread_mutex_lock(&verrou_boite);
	pris = boite[i];
	boite[i] = *e;
	pthread_mutex_unlock(&verrou_boite);
	*e = pris; /* le bloc d'un autre fil, ou rien */
	if (e->p != NULL && intact(e->p, e->n, e->graine) != e->n)
		return "bloc reçu d'un autre fil abîmé";
	return NULL;
}

static void *travail(void *arg)
{
	unsigned long etat = (unsigned long)(uintptr_t)arg * 7919;
	struct emplacement e[64] = { { 0 } };
	const char *erreur = NULL;

	for (int op = 0; op < 30000 && erreur == NULL; op++) {
		int i = (int)(hasard(&etat) % 64);

		erreur = hasard(&etat) % 4 == 0 ? echange(&e[i], &etat) : opere(&e[i], &etat, (uintptr_t)op);
	}
	for (int i = 0; i < 64; i++)
		avance_free(e[i].p);
	return (void *)erreur;
}

START_TEST(test_plusieurs_fils_echangent_des_blocs)
{
	pthread_t fils[4];
	void *erreur;

	for (uintptr_t i = 0; i < 4; i++)
		EXIGE(pthread_create(&fils[i], NULL, travail, (void *)(i + 1)) == 0, "pthread_create a échoué");
	for (int i = 0; i < 4; i++) {
		pthread_join(fils[i], &erreur);
		EXIGE(erreur == NULL, "fil %d : %s", i, (char *)erreur);
	}
	for (int i = 0; i < BOITE; i++) {
		EXIGE(boite[i].p == NULL || intact(boite[i].p, boite[i].n, boite[i].graine) == boite[i].n,
		      "bloc de la boîte abîmé");
		avance_free(boite[i].p);
	}
	tas_coherent("après la charge multi-fils");
}
END_TEST

static void *petits_blocs_puis_fin(void *arg)
{
	void *p[300];

	(void)arg;
	for (int i = 0; i < 300; i++)
		p[i] = avance_malloc((size_t)(i % 200) + 1);
	for (int i = 0; i < 300; i++)
		avance_free(p[i]); /* la plupart restent dans le cache du fil */
	return NULL;
}

START_TEST(test_fin_de_fil_rend_son_cache)
{
	struct hp_stats avant, apres;
	pthread_t fil;

	avance_free(avance_malloc(1));
	hp_stats_lire(&avant);
	pthread_create(&fil, NULL, petits_blocs_puis_fin, NULL);
	pthread_join(fil, NULL);
	hp_stats_lire(&apres);
	EXIGE(apres.malloc == avant.malloc + 300 && apres.free == avant.free + 300,
	      "les appels d'un fil terminé doivent rester comptés");
	EXIGE(apres.octets_utilises == avant.octets_utilises,
	      "à la fin du fil, son cache doit retourner au tas (%zu octets encore pris)",
	      apres.octets_utilises - avant.octets_utilises);
	tas_coherent("après la fin d'un fil");
}
END_TEST

static int arret; /* lu et écrit par __atomic */

static void *boucle_malloc(void *arg)
{
	unsigned long etat = (unsigned long)(uintptr_t)arg;
	void *p[16] = { 0 };

	while (!__atomic_load_n(&arret, __ATOMIC_RELAXED)) {
		int i = (int)(hasard(&etat) % 16);

		avance_free(p[i]);
		p[i] = avance_malloc(hasard(&etat) % 5000);
	}
	for (int i = 0; i < 16; i++)
		avance_free(p[i]);
	return NULL;
}

START_TEST(test_fork_pendant_une_charge_multi_fils)
{
	pthread_t fils[3];
	int statut;

	__atomic_store_n(&arret, 0, __ATOMIC_RELAXED);
	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&fils[i], NULL, boucle_malloc, (void *)(i + 1));
	for (int k = 0; k < 20; k++) {
		pid_t pid = fork();

		if (pid == 0) {
			void *p[100];

			alarm(5); /* un verrou resté pris : le fils meurt au lieu de bloquer */
			for (int i = 0; i < 100; i++)
				p[i] = avance_malloc((size_t)i * 97);
			for (int i = 0; i < 100; i++)
				avance_free(p[i]);
			_exit(avance_verifie_tas() == NULL ? 0 : 3);
		}
		EXIGE(pid > 0 && waitpid(pid, &statut, 0) == pid, "fork ou waitpid a échoué");
		EXIGE(WIFEXITED(statut) && WEXITSTATUS(statut) == 0,
		      "fork n° %d : le fils n'a pas pu allouer (%s %d)", k,
		      WIFSIGNALED(statut) ? "signal" : "code", WIFSIGNALED(statut) ? WTERMSIG(statut) : WEXITSTATUS(statut));
	}
	__atomic_store_n(&arret, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 3; i++)
		pthread_join(fils[i], NULL);
	tas_coherent("après les fork");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("avancé");
	TCase *tc = tcase_create("avancé");
	SRunner *sr;
	int echecs;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_malloc_aligne_et_assez_grand);
	tcase_add_test(tc, test_malloc_zero_unique_et_liberable);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_calloc_met_a_zero);
	tcase_add_test(tc, test_debordements);
	tcase_add_test(tc, test_errno_intact_apres_un_succes);
	tcase_add_test(tc, test_realloc_contrat);
	tcase_add_test(tc, test_posix_memalign);
	tcase_add_test(tc, test_aligned_alloc_et_memalign);
	tcase_add_test(tc, test_valloc_pvalloc);
	tcase_add_test(tc, test_statistiques);
	tcase_add_test(tc, test_fusion_reutilise_la_memoire);
	tcase_add_test(tc, test_realloc_grandit_sur_place);
	tcase_add_test(tc, test_grands_blocs_mmap_munmap);
	tcase_add_test(tc, test_seuil_mmap_dynamique);
	tcase_add_test_raise_signal(tc, test_double_liberation_detectee, SIGABRT);
	tcase_add_test(tc, test_verifie_tas_voit_une_corruption);
	tcase_add_test(tc, test_charge_aleatoire_verifiee);
	tcase_add_test(tc, test_plusieurs_fils_echangent_des_blocs);
	tcase_add_test(tc, test_fin_de_fil_rend_son_cache);
	tcase_add_test(tc, test_fork_pendant_une_charge_multi_fils);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	echecs = srunner_ntests_failed(sr);
	srunner_free(sr);
	return echecs == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
