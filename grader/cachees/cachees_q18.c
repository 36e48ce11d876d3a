/*
 * cachees_q18.c : tests cachés de la Q18, __hp_malloc réutilise d'abord le
 * premier bloc assez grand de la liste libre.
 *
 * Pour ne pas dépendre de la Q20, les blocs sont « libérés » en les empilant
 * à la main en tête de la liste (comme le ferait __hp_free), et pour ne pas
 * dépendre de l'arrondi des blocs neufs (noté en Q13), une demande qui doit
 * prendre un bloc neuf est faite avec une taille déjà multiple de 16.
 */
#include "cachees.h"

#include <stdio.h>

#define EN_TETE TAILLE_EN_TETE

START_TEST(test_cache_q18_modele_aleatoire)
{
	const struct cachees_charge charges[] = {
		{ "charge aléatoire (libérations à la main)", 18, 1500, CACHEES_ALEATOIRE, CACHEES_VARIEES, 1 },
		{ "charge aléatoire de petits blocs", 1818, 1500, CACHEES_ALEATOIRE, CACHEES_PETITES, 1 },
		{ "charge LIFO (libérations à la main)", 181818, 1000, CACHEES_LIFO, CACHEES_VARIEES, 1 },
	};

	cachees_charges(charges, 3);
}
END_TEST

START_TEST(test_cache_q18_modele_tailles_egales)
{
	const struct cachees_charge charges[] = {
		{ "séries de tailles égales (libérations à la main)", 1801, 1500, CACHEES_EGALES, CACHEES_VARIEES, 1 },
		{ "charge FIFO (libérations à la main)", 1802, 1200, CACHEES_FIFO, CACHEES_VARIEES, 1 },
		{ "séries de tailles limites (libérations à la main)", 1803, 300, CACHEES_EGALES, CACHEES_LIMITES, 1 },
	};

	cachees_charges(charges, 3);
}
END_TEST

/* Blocs fabriqués hors de la réserve, avec la place de leurs données. */
#define NF 1000
#define TAILLE_MAX_FAB 256
static _Alignas(ALIGNEMENT) unsigned char atelier[NF][EN_TETE + TAILLE_MAX_FAB];

/* La liste libre = NF blocs fabriqués (tailles tirées), dans l'ordre ;
 * le modèle la connaît. */
static void liste_fabriquee(struct cachees_modele *m, unsigned long *g, size_t taille_fixe)
{
	libre = NULL;
	for (int i = NF - 1; i >= 0; i--) {
		struct bloc *b = (struct bloc *)atelier[i];

		bloc_init(b, taille_fixe ? taille_fixe : 16 * (1 + cachees_alea(g) % (TAILLE_MAX_FAB / 16)));
		b->suivant = libre;
		libre = b;
	}
	for (int i = 0; i < NF; i++)
		cachees_modele_ajoute_fabrique(m, (struct bloc *)atelier[i]);
}

/* Une liste de 1000 blocs fabriqués (16 à 256 octets), 2500 opérations :
 * demandes de 1 à 300 octets (au-delà de 256 : blocs neufs) et
 * libérations à la main. Chaque adresse est celle que prévoit le modèle. */
START_TEST(test_cache_q18_longue_liste_fabriquee)
{
	static struct cachees_modele m;
	unsigned long g = 1888;

	cachees_modele_init(&m, "liste de 1000 blocs fabriqués", g, 1);
	liste_fabriquee(&m, &g, 0);
	cachees_modele_verifie_liste(&m, "liste fabriquée");
	for (int op = 0; op < 2500; op++) {
		unsigned long r = cachees_alea(&g);

		m.operation = op;
		if (r % 100 < 30 && m.nb_vivants > 0) {
			cachees_modele_free(&m, (int)((r >> 8) % (unsigned long)m.nb_vivants));
		} else {
			size_t t = 1 + (r >> 8) % 300;

			if (cachees_modele_prevoit(&m, t) < 0)
				t = calcule_multiple_aligne(t);
			cachees_modele_malloc(&m, t);
		}
		if (op % 50 == 49)
			cachees_modele_verifie_liste(&m, "liste libre relue en entier");
	}
	cachees_modele_verifie_liste(&m, "à la fin");
	cachees_modele_verifie_vivants(&m, "à la fin");
}
END_TEST

/* Aucun bloc de la liste ne convient : un bloc neuf exactement au curseur,
 * et la liste (1000 blocs) n'a pas bougé ; puis une demande égale à la
 * taille du dernier bloc de la liste le prend, lui. */
START_TEST(test_cache_q18_aucun_ne_convient)
{
	static struct cachees_modele m;
	unsigned long g = 1899;

	cachees_modele_init(&m, "aucun bloc ne convient", g, 1);
	liste_fabriquee(&m, &g, 48);
	((struct bloc *)atelier[NF - 1])->taille = 256; /* le dernier, seul grand bloc */
	m.taille[NF - 1] = 256;
	for (int k = 0; k < 50; k++) {
		m.operation = k;
		cachees_modele_malloc(&m, 272 + 16 * (size_t)(k % 7)); /* blocs neufs */
		cachees_modele_verifie_liste(&m, "après un bloc neuf (la liste ne doit pas changer)");
	}
	m.operation = 50;
	cachees_modele_malloc(&m, 200); /* le bloc de 256, en queue de liste */
	cachees_modele_verifie_liste(&m, "après la réutilisation du bloc de queue");
	for (int k = 51; k < 60; k++) {
		m.operation = k;
		cachees_modele_malloc(&m, 33); /* arrondi à 48 : la tête, à chaque fois */
	}
	cachees_modele_verifie_liste(&m, "après les réutilisations en tête");
	cachees_modele_verifie_vivants(&m, "à la fin");
}
END_TEST

/* Scénario écrit à la main : un bloc réutilisé garde sa taille (pas de
 * découpage), une taille égale convient, une réutilisation n'avance pas le
 * curseur, et un bloc réutilisé n'est jamais rendu deux fois. */
START_TEST(test_cache_q18_taille_conservee)
{
	static struct cachees_modele m;
	char *a, *b, *c, *p, o[64];
	struct bloc *e;

	cachees_modele_init(&m, "scénario", 0, 1);
	a = cachees_modele_malloc(&m, 1008);
	b = cachees_modele_malloc(&m, 32);
	c = cachees_modele_malloc(&m, 5008);
	(void)a;
	(void)b;
	(void)c;
	m.operation = 3;
	cachees_modele_free(&m, 0); /* A, empilé à la main */
	m.operation = 4;
	cachees_modele_free(&m, 1); /* C : liste [C, A] */
	m.operation = 5;
	p = cachees_modele_malloc(&m, 16); /* C (tête, 5008 >= 16), garde 5008 */
	e = (struct bloc *)(p - EN_TETE);
	EXIGE(e->taille == 5008, "bloc de 5008 réutilisé pour 16 octets : il garde sa taille 5008, "
	      "%zu obtenu", e->taille);
	m.operation = 6;
	cachees_modele_malloc(&m, 1008); /* A, taille exactement égale */
	m.operation = 7;
	cachees_modele_malloc(&m, 16); /* liste vide : bloc neuf, au curseur d'avant */
	m.operation = 8;
	cachees_modele_free(&m, 0); /* B : liste [B] */
	m.operation = 9;
	cachees_modele_malloc(&m, 48); /* B (32) trop petit : bloc neuf */
	m.operation = 10;
	cachees_modele_malloc(&m, 32); /* B, taille égale */
	EXIGE(libre == NULL, "tous les blocs libres ont été repris : libre = NULL attendu, %s obtenu",
	      cachees_decrit(libre, o, sizeof(o)));
	for (int k = 11; k < 20; k++) {
		m.operation = k;
		cachees_modele_malloc(&m, 16); /* blocs neufs, tous distincts */
	}
	cachees_modele_verifie_vivants(&m, "à la fin");
}
END_TEST

Suite *suite_cachee_q18(void)
{
	TCase *tc;
	Suite *s = suite_question("Q18", &tc);

	AJOUTE_TEST(tc, test_cache_q18_modele_aleatoire);
	AJOUTE_TEST(tc, test_cache_q18_modele_tailles_egales);
	AJOUTE_TEST(tc, test_cache_q18_longue_liste_fabriquee);
	AJOUTE_TEST(tc, test_cache_q18_aucun_ne_convient);
	AJOUTE_TEST(tc, test_cache_q18_taille_conservee);
	return s;
}
