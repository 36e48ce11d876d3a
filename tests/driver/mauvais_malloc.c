/*
 * mauvais_malloc.c : un allocateur à préchargement (LD_PRELOAD) juste, sauf
 * pour les demandes de TAILLE_PIEGE octets où il commet la faute choisie à la
 * compilation (-DFAUTE=...). Les autres demandes (celles de la libc, du
 * driver) restent justes : le driver doit trouver la faute, et elle seule.
 *
 * Un bloc : un en-tête de 16 octets (sa taille), puis les données, pris à la
 * suite dans une grande zone (free ne rend rien : c'est un allocateur de test).
 *
 * À compiler avec -fno-builtin : sinon gcc change malloc + memset en calloc,
 * et calloc s'appellerait lui-même.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define JUSTE 0
#define MAL_ALIGNE 1      /* adresse multiple de 8, pas de 16 */
#define CHEVAUCHE 2       /* rend un bloc à cheval sur le précédent */
#define CORROMPT 3        /* free écrit dans le bloc suivant */
#define REALLOC_PERD 4    /* realloc ne copie que la moitié des octets */
#define REND_NULL 5
#define PLANTE 6          /* le processus meurt (SIGABRT) */
#define BOUCLE 7          /* ne rend jamais la main */

#ifndef FAUTE
#define FAUTE JUSTE
#endif
#define TAILLE_PIEGE 1234
#define ZONE (1UL << 30)
#define EN_TETE 16

static unsigned char *zone, *suivant, *dernier;

static size_t arrondi(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

void *malloc(size_t n)
{
	unsigned char *p;
	size_t decalage;

	if (zone == NULL) {
		zone = mmap(NULL, ZONE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (zone == MAP_FAILED)
			return NULL;
		suivant = zone;
	}
	if (n == TAILLE_PIEGE && FAUTE == REND_NULL)
		return NULL;
	if (n == TAILLE_PIEGE && FAUTE == PLANTE)
		abort();
	while (n == TAILLE_PIEGE && FAUTE == BOUCLE)
		;
	if (n == TAILLE_PIEGE && FAUTE == CHEVAUCHE && dernier != NULL)
		return dernier + 16;
	if (n > ZONE / 2 || suivant + EN_TETE + arrondi(n) + 16 > zone + ZONE) {
		errno = ENOMEM;
		return NULL;
	}
	decalage = n == TAILLE_PIEGE && FAUTE == MAL_ALIGNE ? 8 : 0;
	p = suivant + EN_TETE + decalage;
	*(size_t *)(p - EN_TETE) = n;
	suivant = p + arrondi(n) + decalage;
	dernier = p;
	return p;
}

void free(void *ptr)
{
	unsigned char *p = ptr;

	if (p != NULL && FAUTE == CORROMPT && *(size_t *)(p - EN_TETE) == TAILLE_PIEGE)
		memset(p + arrondi(TAILLE_PIEGE) + EN_TETE, 0xAA, 8);
}

void *calloc(size_t nb, size_t taille)
{
	void *p;

	if (taille != 0 && nb > SIZE_MAX / taille) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(nb * taille);
	return p != NULL ? memset(p, 0, nb * taille) : NULL;
}

void *realloc(void *ptr, size_t n)
{
	size_t ancienne = ptr != NULL ? *(size_t *)((unsigned char *)ptr - EN_TETE) : 0;
	size_t garde = ancienne < n ? ancienne : n;
	void *q = malloc(n);

	int piege = n == TAILLE_PIEGE || ancienne == TAILLE_PIEGE;

	if (q == NULL)
		return NULL;
	if (ptr != NULL)
		memcpy(q, ptr, piege && FAUTE == REALLOC_PERD ? garde / 2 : garde);
	free(ptr);
	return q;
}
