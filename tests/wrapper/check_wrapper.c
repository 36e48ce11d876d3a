/*
 * check_wrapper.c : le contrat de malloc_wrapper.c, fonction par fonction.
 *
 * Compilé deux fois par tests/test_wrapper.py : avec les noms de la libc
 * (le malloc de ce programme, et de Check, est alors celui de l'enveloppe)
 * et sans eux (-DSANS_NOMS_LIBC) sous AddressSanitizer. Les tests appellent
 * les fonctions wrap_* : le même contrat dans les deux cas.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp_allocator.h"
#include "malloc_wrapper.h"

#define EXIGE(condition, ...) \
	do { \
		if (!(condition)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static int dans_la_reserve(const void *p)
{
	return reserve.mem != NULL && (const char *)p >= (const char *)reserve.mem
	       && (const char *)p < (const char *)reserve.mem + reserve.taille;
}

START_TEST(test_malloc_dans_la_reserve)
{
	char *p = wrap_malloc(100);

	EXIGE(p != NULL && dans_la_reserve(p), "malloc(100) : un bloc de la réserve attendu, %p obtenu", (void *)p);
	EXIGE((uintptr_t)p % 16 == 0, "malloc(100) : adresse alignée sur 16 attendue");
	memset(p, 7, 100);
	wrap_free(p);
}
END_TEST

START_TEST(test_malloc_zero_unique_et_liberable)
{
	void *a = wrap_malloc(0), *b = wrap_malloc(0);

	EXIGE(a != NULL && b != NULL && a != b, "malloc(0) : deux pointeurs distincts attendus (%p, %p)", a, b);
	wrap_free(a);
	wrap_free(b);
}
END_TEST

START_TEST(test_free_null)
{
	wrap_free(NULL);
}
END_TEST

START_TEST(test_calloc_met_a_zero_un_bloc_recycle)
{
	unsigned char *p = wrap_malloc(256), *q;

	memset(p, 0xAB, 256);
	wrap_free(p);
	q = wrap_calloc(16, 16);
	EXIGE(q == p, "calloc doit recycler le bloc libéré (%p attendu, %p obtenu)", (void *)p, (void *)q);
	for (int i = 0; i < 256; i++)
		EXIGE(q[i] == 0, "calloc : octet %d = %#x au lieu de 0", i, q[i]);
}
END_TEST

START_TEST(test_calloc_debordement)
{
	errno = 0;
	EXIGE(wrap_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM,
	      "calloc(SIZE_MAX/2, 3) : NULL et ENOMEM attendus");
	errno = 0;
	EXIGE(wrap_reallocarray(NULL, SIZE_MAX / 4, 8) == NULL && errno == ENOMEM,
	      "reallocarray(NULL, SIZE_MAX/4, 8) : NULL et ENOMEM attendus");
}
END_TEST

START_TEST(test_realloc_agrandit_et_copie)
{
	char *p = wrap_malloc(40), *q;

	for (int i = 0; i < 40; i++)
		p[i] = (char)i;
	q = wrap_realloc(p, 4000);
	EXIGE(q != NULL && dans_la_reserve(q), "realloc(p, 4000) : un bloc de la réserve attendu");
	for (int i = 0; i < 40; i++)
		EXIGE(q[i] == (char)i, "realloc : octet %d perdu", i);
	q = wrap_realloc(q, 8);
	EXIGE(q != NULL && q[7] == 7, "realloc(p, 8) : contenu gardé attendu");
	EXIGE(wrap_realloc(q, 0) == NULL, "realloc(p, 0) libère et rend NULL");
	p = wrap_realloc(NULL, 32);
	EXIGE(p != NULL, "realloc(NULL, 32) : comme malloc(32)");
	wrap_free(p);
}
END_TEST

START_TEST(test_alignements)
{
	static const size_t alignements[] = { 32, 64, 256, 4096, 65536 };

	for (size_t i = 0; i < sizeof(alignements) / sizeof(*alignements); i++) {
		size_t a = alignements[i];
		void *p = NULL, *q, *r;

		EXIGE(wrap_posix_memalign(&p, a, 100) == 0, "posix_memalign(%zu) a échoué", a);
		q = wrap_aligned_alloc(a, 3 * a);
		r = wrap_memalign(a, 10);
		EXIGE((uintptr_t)p % a == 0 && (uintptr_t)q % a == 0 && (uintptr_t)r % a == 0,
		      "alignement %zu non respecté (%p, %p, %p)", a, p, q, r);
		EXIGE(wrap_malloc_usable_size(p) >= 100 && wrap_malloc_usable_size(q) >= 3 * a,
		      "malloc_usable_size trop petit pour un bloc aligné sur %zu", a);
		memset(p, 1, 100);
		memset(q, 2, 3 * a);
		wrap_free(p);
		wrap_free(q);
		wrap_free(r);
	}
}
END_TEST

START_TEST(test_alignements_invalides)
{
	void *p = (void *)1;

	EXIGE(wrap_posix_memalign(&p, 24, 10) == EINVAL && p == (void *)1,
	      "posix_memalign(24) : EINVAL attendu, *ptr inchangé");
	EXIGE(wrap_posix_memalign(&p, 4, 10) == EINVAL, "posix_memalign(4) : EINVAL attendu");
	errno = 0;
	EXIGE(wrap_aligned_alloc(48, 96) == NULL && errno == EINVAL, "aligned_alloc(48) : EINVAL attendu");
	p = wrap_memalign(48, 10); /* la libc arrondit à 64 */
	EXIGE(p != NULL && (uintptr_t)p % 64 == 0, "memalign(48) : alignement 64 attendu");
}
END_TEST

START_TEST(test_valloc_pvalloc)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *v = wrap_valloc(10), *pv = wrap_pvalloc(page + 1);

	EXIGE((uintptr_t)v % page == 0 && (uintptr_t)pv % page == 0, "valloc/pvalloc : alignement page attendu");
	EXIGE(wrap_malloc_usable_size(pv) >= 2 * page, "pvalloc(page + 1) : deux pages utilisables attendues");
	memset(pv, 3, 2 * page);
	wrap_free(v);
	wrap_free(pv);
}
END_TEST

START_TEST(test_malloc_usable_size)
{
	void *p = wrap_malloc(33);

	EXIGE(wrap_malloc_usable_size(p) >= 33, "malloc_usable_size(malloc(33)) >= 33 attendu");
	EXIGE(wrap_malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) = 0 attendu");
}
END_TEST

START_TEST(test_pointeur_de_la_libc_rendu_a_la_libc)
{
	void *(*vrai_malloc)(size_t) = dlsym(RTLD_NEXT, "malloc");
	char *p = vrai_malloc != NULL ? vrai_malloc(64) : malloc(64);

	EXIGE(p != NULL && !dans_la_reserve(p), "malloc de la libc : pointeur hors réserve attendu");
	p = wrap_realloc(p, 128);
	EXIGE(p != NULL && !dans_la_reserve(p), "realloc d'un pointeur de la libc : reste à la libc");
	EXIGE(wrap_malloc_usable_size(p) >= 128, "malloc_usable_size d'un pointeur de la libc");
	wrap_free(p);
}
END_TEST

START_TEST(test_reserve_pleine_repli_sur_la_libc)
{
	struct hp_stats avant, apres;
	size_t taille;
	char *p;

	wrap_free(wrap_malloc(1)); /* la réserve existe */
	taille = reserve.taille + 1;
	hp_stats_lire(&avant);
	p = wrap_malloc(taille);
	hp_stats_lire(&apres);
	EXIGE(p != NULL && !dans_la_reserve(p), "réserve trop petite : la libc doit servir la demande");
	EXIGE(apres.repli_libc == avant.repli_libc + 1, "le repli sur la libc doit être compté");
	p[taille - 1] = 1;
	wrap_free(p);
}
END_TEST

START_TEST(test_statistiques)
{
	struct hp_stats avant, apres;
	void *p, *q;

	hp_stats_lire(&avant);
	p = wrap_malloc(64);
	wrap_free(p);
	q = wrap_malloc(64);
	p = wrap_calloc(2, 8);
	p = wrap_realloc(p, 1000);
	hp_stats_lire(&apres);
	EXIGE(apres.malloc >= avant.malloc + 2 && apres.free >= avant.free + 1, "malloc/free comptés");
	EXIGE(apres.calloc == avant.calloc + 1 && apres.realloc == avant.realloc + 1, "calloc/realloc comptés");
	EXIGE(apres.recycles >= avant.recycles + 1, "le bloc réutilisé doit compter comme recyclé");
	EXIGE(apres.mmap == 1, "une réserve : un mmap attendu, %zu obtenu", apres.mmap);
	EXIGE(apres.octets_utilises >= 64 + 1000 && apres.pic >= apres.octets_utilises, "octets en usage et pic");
	wrap_free(p);
	wrap_free(q);
}
END_TEST

/* Plusieurs fils allouent, écrivent, vérifient et libèrent en même temps. */
static void *travail(void *arg)
{
	unsigned long graine = (unsigned long)(uintptr_t)arg;
	unsigned char *p[64] = { 0 };
	size_t t[64];

	for (int op = 0; op < 20000; op++) {
		int i;

		graine = graine * 6364136223846793005UL + 1442695040888963407UL;
		i = (int)(graine >> 58);
		if (p[i] != NULL) {
			for (size_t k = 0; k < t[i]; k++)
				if (p[i][k] != (unsigned char)i)
					return "données écrasées par un autre fil";
			wrap_free(p[i]);
			p[i] = NULL;
		} else {
			t[i] = 1 + (graine >> 20) % 512;
			p[i] = op % 3 ? wrap_malloc(t[i]) : wrap_realloc(NULL, t[i]);
			if (p[i] == NULL)
				return "malloc a rendu NULL";
			memset(p[i], i, t[i]);
		}
	}
	for (int i = 0; i < 64; i++)
		wrap_free(p[i]);
	return NULL;
}

START_TEST(test_plusieurs_fils)
{
	pthread_t fils[4];
	void *erreur;

	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&fils[i], NULL, travail, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		pthread_join(fils[i], &erreur);
		EXIGE(erreur == NULL, "fil %d : %s", i, (char *)erreur);
	}
}
END_TEST

START_TEST(test_fork)
{
	char *p = wrap_malloc(32);
	int statut;
	pid_t pid;

	strcpy(p, "parent");
	pid = fork();
	if (pid == 0) {
		char *q = wrap_malloc(32); /* le fils a sa propre copie de la réserve */

		strcpy(p, "fils");
		strcpy(q, "fils");
		wrap_free(q);
		_exit(strcmp(p, "fils") != 0);
	}
	EXIGE(waitpid(pid, &statut, 0) == pid && WIFEXITED(statut) && WEXITSTATUS(statut) == 0,
	      "le fils n'a pas pu allouer");
	EXIGE(strcmp(p, "parent") == 0, "le fils a écrit dans la mémoire du parent : « %s »", p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("enveloppe");
	TCase *tc = tcase_create("enveloppe");
	SRunner *sr;
	int echecs;

	setenv("HP_RESERVE_MIO", "8", 0);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_malloc_dans_la_reserve);
	tcase_add_test(tc, test_malloc_zero_unique_et_liberable);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_calloc_met_a_zero_un_bloc_recycle);
	tcase_add_test(tc, test_calloc_debordement);
	tcase_add_test(tc, test_realloc_agrandit_et_copie);
	tcase_add_test(tc, test_alignements);
	tcase_add_test(tc, test_alignements_invalides);
	tcase_add_test(tc, test_valloc_pvalloc);
	tcase_add_test(tc, test_malloc_usable_size);
	tcase_add_test(tc, test_pointeur_de_la_libc_rendu_a_la_libc);
	tcase_add_test(tc, test_reserve_pleine_repli_sur_la_libc);
	tcase_add_test(tc, test_statistiques);
	tcase_add_test(tc, test_plusieurs_fils);
	tcase_add_test(tc, test_fork);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	echecs = srunner_ntests_failed(sr);
	srunner_free(sr);
	return echecs == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
