/*
 * cachees_q13.c : tests cachés de la Q13, __hp_malloc en allocation « bump ».
 * La liste libre reste vide dans tous ces tests.
 */
#include "cachees.h"

#include <errno.h>
#include <stdio.h>

#define EN_TETE TAILLE_EN_TETE

/* Tailles qui encadrent l'alignement, les pages et le Mio, puis tous les
 * blocs relus : adresse exacte, en-tête, données. */
START_TEST(test_cache_q13_tailles_limites)
{
	static struct cachees_modele m;
	static const size_t tailles[] = {
		1, 15, 16, 17, 31, 32, 33, 4095, 4096, 4097, 65537, 2, 47, 48, 49,
		((size_t)1 << 20) - 1, (size_t)1 << 20, ((size_t)1 << 20) + 1, 3,
		65535, 65536, 4094, 18, ((size_t)1 << 20) - 17, 14, 1, 1,
	};
	const int n = (int)(sizeof(tailles) / sizeof(tailles[0]));

	cachees_modele_init(&m, "tailles limites", 0, 0);
	for (int i = 0; i < n; i++, m.operation++) {
		char *p = cachees_modele_malloc(&m, tailles[i]);

		EXIGE(p != NULL, "__hp_malloc(%zu) : NULL obtenu alors qu'il reste de la place", tailles[i]);
		EXIGE(ADR(p) % ALIGNEMENT == 0, "__hp_malloc(%zu) : adresse non alignée sur %d", tailles[i],
		      ALIGNEMENT);
	}
	cachees_modele_verifie_vivants(&m, "tous les blocs relus à la fin");
}
END_TEST

/* Des tailles tirées au hasard (graines fixes) jusqu'à l'épuisement prévu
 * par le modèle, puis des demandes qui remplissent exactement le reste. */
static void bump_jusqu_au_bout(unsigned long graine)
{
	static struct cachees_modele m;
	unsigned long g = graine;
	char o[64];
	void *p;
	int echecs = 0;

	cachees_modele_init(&m, "remplissage aléatoire", graine, 0);
	for (;; m.operation++) {
		unsigned long r = cachees_alea(&g);
		size_t t = r % 10 < 6 ? 1 + (r >> 4) % 64
			 : r % 10 < 9 ? 1 + (r >> 4) % 4096 : 4097 + (r >> 4) % 300000;

		if (cachees_modele_prevoit(&m, t) == -2)
			echecs++;
		cachees_modele_malloc(&m, t); /* vérifie aussi NULL et errno */
		if (echecs > 0)
			break;
	}
	/* L'échec n'a pas avancé le curseur : on remplit le reste exactement. */
	while (reserve.taille - m.curseur >= 2 * EN_TETE) {
		size_t reste = reserve.taille - m.curseur;
		size_t t = reste - EN_TETE - cachees_alea(&g) % 15;

		if (t > 300000) /* encore loin de la fin : un bloc au hasard */
			t = 1 + cachees_alea(&g) % 200000;
		m.operation++;
		EXIGE(cachees_modele_malloc(&m, t) != NULL, "__hp_malloc(%zu) : NULL obtenu alors qu'il "
		      "reste %zu octets (en-tête compris)", t, reste);
	}
	EXIGE(m.curseur == reserve.taille, "tests : la réserve devrait être pleine");
	errno = 0;
	p = __hp_malloc(1);
	EXIGE(p == NULL, "réserve remplie exactement par des blocs de tailles tirées au hasard : "
	      "__hp_malloc(1) doit rendre NULL, %s obtenu", cachees_decrit(p, o, sizeof(o)));
	EXIGE(errno == ENOMEM, "réserve pleine : errno = ENOMEM attendu, %d obtenu", errno);
	cachees_modele_verifie_vivants(&m, "réserve pleine, tous les blocs relus");
}

START_TEST(test_cache_q13_remplissage_aleatoire)
{
	/* le curseur « static » ne repart jamais de 0 : une seule graine par
	 * test (donc par processus) */
	bump_jusqu_au_bout(1313);
}
END_TEST

START_TEST(test_cache_q13_remplissage_aleatoire_bis)
{
	bump_jusqu_au_bout(271828);
}
END_TEST

/* Blocs impairs jusqu'à un reste R, puis les demandes à la frontière :
 * R - 15, R - 8, R et R + 1 ne tiennent pas (en-tête compris), R - 31 remplit
 * exactement la réserve. */
START_TEST(test_cache_q13_epuisement_exact)
{
	static struct cachees_modele m;
	static const size_t impaires[] = { 4095, 17, 1, 33, 65537, 15, 31, 4097, 999, 12345 };
	size_t reste, essais[4];
	char o[64];
	char *p;

	cachees_modele_init(&m, "épuisement exact", 0, 0);
	for (int i = 0; reserve.taille - m.curseur > 200000; i++, m.operation++)
		EXIGE(cachees_modele_malloc(&m, impaires[i % 10]) != NULL, "__hp_malloc(%zu) : NULL "
		      "obtenu alors qu'il reste de la place", impaires[i % 10]);
	reste = reserve.taille - m.curseur;
	essais[0] = reste - 15;
	essais[1] = reste - 8;
	essais[2] = reste;
	essais[3] = reste + 1;
	for (int i = 0; i < 4; i++) {
		errno = 0;
		p = __hp_malloc(essais[i]);
		EXIGE(p == NULL, "il reste %zu octets dans la réserve : __hp_malloc(%zu) ne tient pas "
		      "avec son en-tête (%zu + %zu octets), NULL attendu, %s obtenu", reste, essais[i],
		      EN_TETE, calcule_multiple_aligne(essais[i]), cachees_decrit(p, o, sizeof(o)));
		EXIGE(errno == ENOMEM, "__hp_malloc(%zu) sans place : errno = ENOMEM attendu, %d obtenu",
		      essais[i], errno);
	}
	m.operation++;
	p = cachees_modele_malloc(&m, reste - 31); /* arrondi à reste - 16 : tout juste */
	EXIGE(p + reste - EN_TETE == (char *)reserve.mem + reserve.taille,
	      "le dernier bloc doit finir exactement à la fin de la réserve");
	/* son dernier octet, à la fin de la réserve, a déjà reçu le motif */
	errno = 0;
	p = __hp_malloc(1);
	EXIGE(p == NULL && errno == ENOMEM, "réserve exactement pleine : __hp_malloc(1) doit rendre "
	      "NULL avec errno = ENOMEM, %s obtenu (errno %d)", cachees_decrit(p, o, sizeof(o)), errno);
	cachees_modele_verifie_vivants(&m, "réserve pleine");
}
END_TEST

/* Des échecs au milieu des succès : chaque échec met errno à ENOMEM et ne
 * bouge pas le curseur (le bloc suivant est exactement là où il doit). */
START_TEST(test_cache_q13_echec_sans_effet)
{
	static struct cachees_modele m;
	const size_t enormes[] = { reserve.taille - 8, reserve.taille, reserve.taille + 4096,
				   reserve.taille - 15, 2 * reserve.taille };
	char o[64];

	cachees_modele_init(&m, "échecs sans effet", 0, 0);
	for (int i = 0; i < 40; i++) {
		size_t grand = enormes[i % 5] - (i % 5 == 3 ? m.curseur : 0);
		void *p;

		errno = 0;
		p = __hp_malloc(grand);
		EXIGE(p == NULL, "après %d bloc(s) (curseur à %zu sur %zu), __hp_malloc(%zu) ne tient "
		      "pas : NULL attendu, %s obtenu", i, m.curseur, reserve.taille, grand,
		      cachees_decrit(p, o, sizeof(o)));
		EXIGE(errno == ENOMEM, "__hp_malloc(%zu) sans place : errno = ENOMEM (%d) attendu, "
		      "%d obtenu", grand, ENOMEM, errno);
		m.operation = i;
		cachees_modele_malloc(&m, 1 + (size_t)i * 13);
	}
	cachees_modele_verifie_vivants(&m, "à la fin");
}
END_TEST

/* Toute la réserve d'un seul bloc : reserve.taille - 16 tient tout juste,
 * reserve.taille - 15 non (arrondi à reserve.taille, plus l'en-tête). */
START_TEST(test_cache_q13_toute_la_reserve)
{
	char o[64];
	char *p;

	errno = 0;
	p = __hp_malloc(reserve.taille - EN_TETE + 1);
	EXIGE(p == NULL, "réserve vide de %zu octets : __hp_malloc(%zu) ne tient pas avec son "
	      "en-tête, NULL attendu, %s obtenu", reserve.taille, reserve.taille - EN_TETE + 1,
	      cachees_decrit(p, o, sizeof(o)));
	EXIGE(errno == ENOMEM, "errno = ENOMEM attendu, %d obtenu", errno);
	p = __hp_malloc(reserve.taille - EN_TETE);
	EXIGE(p == (char *)reserve.mem + EN_TETE, "réserve vide : __hp_malloc(reserve.taille - "
	      "TAILLE_EN_TETE) tient tout juste, reserve.mem + %zu attendu, %s obtenu", EN_TETE,
	      cachees_decrit(p, o, sizeof(o)));
	EXIGE(((struct bloc *)reserve.mem)->taille == reserve.taille - EN_TETE,
	      "en-tête du bloc : taille %zu attendue, %zu obtenue", reserve.taille - EN_TETE,
	      ((struct bloc *)reserve.mem)->taille);
	p[0] = 1;
	p[reserve.taille - EN_TETE - 1] = 1;
	errno = 0;
	p = __hp_malloc(1);
	EXIGE(p == NULL && errno == ENOMEM, "réserve pleine : NULL et errno = ENOMEM attendus, "
	      "%s obtenu (errno %d)", cachees_decrit(p, o, sizeof(o)), errno);
}
END_TEST

/* 1 à 400 octets à la suite : chaque adresse exacte et alignée, puis toutes
 * les données remplies jusqu'au dernier octet demandé, et les en-têtes
 * relus (un en-tête écrasé trahit des blocs trop rapprochés). */
START_TEST(test_cache_q13_en_tetes_intacts)
{
	static struct cachees_modele m;

	cachees_modele_init(&m, "1 à 400 octets", 0, 0);
	for (size_t t = 1; t <= 400; t++, m.operation++)
		cachees_modele_malloc(&m, t);
	cachees_modele_verifie_vivants(&m, "tous les blocs relus");
}
END_TEST

Suite *suite_cachee_q13(void)
{
	TCase *tc;
	Suite *s = suite_question("Q13", &tc);

	AJOUTE_TEST(tc, test_cache_q13_tailles_limites);
	AJOUTE_TEST(tc, test_cache_q13_remplissage_aleatoire);
	AJOUTE_TEST(tc, test_cache_q13_remplissage_aleatoire_bis);
	AJOUTE_TEST(tc, test_cache_q13_epuisement_exact);
	AJOUTE_TEST(tc, test_cache_q13_echec_sans_effet);
	AJOUTE_TEST(tc, test_cache_q13_toute_la_reserve);
	AJOUTE_TEST(tc, test_cache_q13_en_tetes_intacts);
	return s;
}
