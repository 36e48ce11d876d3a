/*
 * stress_fils.c : test de charge multi-fils pour l'enveloppe de malloc.
 *
 *   LD_PRELOAD=solution/libmalloc_wrapper.so ./stress_fils [FILS] [OPERATIONS]
 *
 * Chaque fil alloue (malloc, calloc, realloc, posix_memalign), remplit,
 * vérifie puis libère des blocs de tailles aléatoires. Affiche le débit ;
 * code de sortie 1 à la première donnée écrasée.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EMPLACEMENTS 256

static long operations = 200000;

static int verifie(const unsigned char *p, size_t t, unsigned char motif)
{
	for (size_t k = 0; k < t; k++)
		if (p[k] != motif)
			return 0;
	return 1;
}

static void *alloue(unsigned long hasard, size_t t)
{
	void *p = NULL;

	switch (hasard % 4) {
	case 0: return calloc(1, t);
	case 1: return posix_memalign(&p, 64, t) == 0 ? p : NULL;
	default: return malloc(t);
	}
}

static void *travail(void *arg)
{
	unsigned long graine = (unsigned long)(uintptr_t)arg * 7919;
	unsigned char *p[EMPLACEMENTS] = { 0 };
	size_t t[EMPLACEMENTS];

	for (long op = 0; op < operations; op++) {
		int i;

		graine = graine * 6364136223846793005UL + 1442695040888963407UL;
		i = (int)((graine >> 33) % EMPLACEMENTS);
		if (p[i] != NULL && !verifie(p[i], t[i], (unsigned char)i))
			return "données écrasées";
		if (p[i] != NULL && (graine & 1)) {
			size_t n = 1 + (graine >> 40) % 2048;
			unsigned char *q = realloc(p[i], n);

			if (q == NULL)
				return "realloc a rendu NULL";
			if (!verifie(q, n < t[i] ? n : t[i], (unsigned char)i))
				return "realloc a perdu des données";
			memset(q, i, n);
			p[i] = q;
			t[i] = n;
		} else if (p[i] != NULL) {
			free(p[i]);
			p[i] = NULL;
		} else {
			t[i] = 1 + (graine >> 40) % 2048;
			if ((p[i] = alloue(graine >> 20, t[i])) == NULL)
				return "allocation impossible";
			memset(p[i], i, t[i]);
		}
	}
	for (int i = 0; i < EMPLACEMENTS; i++)
		free(p[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t fils[64];
	struct timespec debut, fin;
	double secondes;
	void *erreur;
	int code = 0;

	if (argc > 2)
		operations = atol(argv[2]);
	if (n < 1 || n > 64 || operations < 1) {
		fprintf(stderr, "usage : %s [FILS (1 à 64)] [OPÉRATIONS par fil]\n", argv[0]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &debut);
	for (int i = 0; i < n; i++)
		pthread_create(&fils[i], NULL, travail, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++) {
		pthread_join(fils[i], &erreur);
		if (erreur != NULL) {
			fprintf(stderr, "fil %d : %s\n", i, (char *)erreur);
			code = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &fin);
	secondes = (double)(fin.tv_sec - debut.tv_sec) + (double)(fin.tv_nsec - debut.tv_nsec) / 1e9;
	printf("%d fils, %ld opérations chacun : %.2f s, %.2f millions d'opérations/s%s\n", n, operations,
	       secondes, (double)n * (double)operations / secondes / 1e6, code ? " (ÉCHEC)" : "");
	return code;
}
