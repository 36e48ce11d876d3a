/* commun.c : outils partagés par les suites de tests (voir commun.h). */
#include "commun.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCS_FABRIQUES 16
#define TAILLE_MAX_FABRIQUEE 4096

/* Mémoire des blocs « fabriqués » : hors de la réserve, bien alignée. */
static _Alignas(ALIGNEMENT) unsigned char
	atelier[BLOCS_FABRIQUES][TAILLE_EN_TETE + TAILLE_MAX_FABRIQUEE];

void reserve_neuve(void)
{
	EXIGE(hp_init() == 0, "hp_init a échoué (voir le message ci-dessus)");
	libre = NULL;
}

void fin_de_test(void)
{
	fflush(NULL);
	_exit(FIN_DE_TEST);
}

void reserve_rendue(void)
{
	hp_finalize();
	fin_de_test();
}

Suite *suite_question(const char *question, TCase **tc)
{
	Suite *s = suite_create(question);

	*tc = tcase_create(question);
	tcase_add_checked_fixture(*tc, reserve_neuve, reserve_rendue);
	suite_add_tcase(s, *tc);
	return s;
}

struct bloc *bloc_fabrique(int numero, size_t taille)
{
	struct bloc *b = (struct bloc *)atelier[numero];

	ck_assert(numero >= 0 && numero < BLOCS_FABRIQUES && taille <= TAILLE_MAX_FABRIQUEE);
	bloc_init(b, taille);
	return b;
}

void liste_libre(struct bloc **blocs, int n)
{
	libre = NULL;
	for (int i = n - 1; i >= 0; i--) {
		blocs[i]->suivant = libre;
		libre = blocs[i];
	}
}

void *donnees(struct bloc *bloc)
{
	return (char *)bloc + TAILLE_EN_TETE;
}

void verifie_bloc_rendu(const void *p, size_t taille, const char *contexte)
{
	uintptr_t debut = ADR(reserve.mem), fin = debut + reserve.taille;

	EXIGE(p != NULL, "%s : NULL obtenu, un pointeur attendu", contexte);
	EXIGE(ADR(p) % ALIGNEMENT == 0,
			"%s : adresse %p non alignée sur %d octets", contexte, p, ALIGNEMENT);
	EXIGE(ADR(p) >= debut + TAILLE_EN_TETE && ADR(p) + taille <= fin,
			"%s : le bloc [%p, +%zu) et son en-tête ne sont pas dans la réserve [%p, +%zu)",
			contexte, p, taille, reserve.mem, reserve.taille);
}

int longueur_liste_libre(void)
{
	int n = 0;

	for (struct bloc *b = libre; b != NULL; b = b->suivant)
		EXIGE(++n <= 1000000, "la liste libre boucle (un cycle ?)");
	return n;
}

static unsigned char octet_motif(size_t i, unsigned graine)
{
	return (unsigned char)((i * 131u + graine * 7919u) >> 3 ^ graine);
}

void remplit(void *p, size_t taille, unsigned graine)
{
	unsigned char *o = p;

	for (size_t i = 0; i < taille; i++)
		o[i] = octet_motif(i, graine);
}

size_t premier_octet_modifie(const void *p, size_t taille, unsigned graine)
{
	const unsigned char *o = p;

	for (size_t i = 0; i < taille; i++)
		if (o[i] != octet_motif(i, graine))
			return i;
	return taille;
}
