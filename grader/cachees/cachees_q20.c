/*
 * cachees_q20.c : tests cachés de la Q20, __hp_free (insertion en tête, en
 * O(1)), puis __hp_malloc et __hp_free ensemble contre le modèle exact.
 */
#include "cachees.h"

#include <stdio.h>

#define N 1000

/* Des en-têtes fabriqués, entourés de marges : une écriture à côté de
 * l'en-tête (mauvais calcul de son adresse) tombe dans une marge au lieu
 * d'abîmer autre chose. */
static struct {
	_Alignas(ALIGNEMENT) unsigned char marge_avant[1024];
	struct bloc b[N];
	unsigned char marge_apres[1024];
} zone;

static const char *nomme(const struct bloc *b, char *tampon, size_t taille)
{
	if (b == NULL)
		snprintf(tampon, taille, "NULL");
	else if (ADR(b) >= ADR(zone.b) && ADR(b) < ADR(zone.b + N) && (ADR(b) - ADR(zone.b)) % sizeof(*b) == 0)
		snprintf(tampon, taille, "le bloc n°%d", (int)(b - zone.b));
	else if (ADR(b) + 65536 > ADR(zone.b) && ADR(b) < ADR(zone.b + N) + 65536)
		snprintf(tampon, taille, "l'adresse %+td octets après l'en-tête du bloc n°0 (pas un des blocs libérés)",
			 (ptrdiff_t)(ADR(b) - ADR(zone.b)));
	else
		snprintf(tampon, taille, "%p (pas un des blocs libérés)", (const void *)b);
	return tampon;
}

/* Les blocs prennent des tailles variées et un champ suivant périmé : NULL,
 * eux-mêmes, un autre bloc, ou une valeur absurde. */
static void prepare(unsigned long *g)
{
	for (int i = 0; i < N; i++) {
		unsigned long r = cachees_alea(g);

		zone.b[i].taille = 16 * (1 + r % 64);
		switch ((r >> 8) % 4) {
		case 0: zone.b[i].suivant = NULL; break;
		case 1: zone.b[i].suivant = &zone.b[i]; break;
		case 2: zone.b[i].suivant = &zone.b[(r >> 12) % N]; break;
		default: zone.b[i].suivant = (struct bloc *)(uintptr_t)0xdeadbeef0UL; break;
		}
	}
}

/* 999 blocs libérés dans un ordre mêlé sur une liste d'un bloc : après
 * chaque __hp_free, le bloc est en tête, pointe vers l'ancienne tête, garde
 * sa taille, et l'ancienne tête n'a pas bougé ; à la fin, la liste est
 * exactement l'ordre inverse des libérations. */
START_TEST(test_cache_q20_empile_mille_blocs)
{
	unsigned long g = 2000;
	int ordre[N - 1];
	char a[128], o[128];
	const struct bloc *b;

	prepare(&g);
	for (int i = 0; i < N - 1; i++)
		ordre[i] = (int)((size_t)i * 613 % (N - 1));
	zone.b[N - 1].suivant = NULL;
	libre = &zone.b[N - 1];
	for (int k = 0; k < N - 1; k++) {
		struct bloc *x = &zone.b[ordre[k]];
		struct bloc *ancienne = libre, *apres_ancienne = libre->suivant;
		size_t taille = x->taille;

		__hp_free(donnees(x));
		if (libre != x)
			ck_abort_msg("libération n°%d : après __hp_free(données du bloc n°%d), la tête de la "
				     "liste libre doit être son en-tête (donnees - TAILLE_EN_TETE), c'est %s%s",
				     k + 1, ordre[k], nomme(libre, o, sizeof(o)),
				     libre == ancienne ? " (tête inchangée : __hp_free ne fait rien, ou insère en queue ?)" : "");
		if (x->suivant != ancienne)
			ck_abort_msg("libération n°%d : le bloc libéré doit pointer vers l'ancienne tête %s "
				     "(son champ suivant, même s'il contenait une valeur périmée), il pointe "
				     "vers %s", k + 1, nomme(ancienne, a, sizeof(a)), nomme(x->suivant, o, sizeof(o)));
		EXIGE(x->taille == taille, "libération n°%d : __hp_free a changé la taille du bloc : %zu "
		      "attendu, %zu obtenu", k + 1, taille, x->taille);
		EXIGE(ancienne->suivant == apres_ancienne, "libération n°%d : __hp_free a modifié "
		      "l'ancienne tête de la liste ; une insertion en tête ne touche que le bloc libéré "
		      "et libre", k + 1);
	}
	b = libre;
	for (int k = N - 2; k >= 0; k--, b = b->suivant)
		if (b != &zone.b[ordre[k]])
			ck_abort_msg("liste finale en position %d : %s attendu (le dernier libéré d'abord), "
				     "%s obtenu", N - 2 - k, nomme(&zone.b[ordre[k]], a, sizeof(a)),
				     nomme(b, o, sizeof(o)));
	EXIGE(b == &zone.b[N - 1] && b->suivant == NULL, "la liste finale doit finir par le bloc de "
	      "départ puis NULL");
}
END_TEST

/* __hp_free(NULL) n'importe quand : liste vide, puis entre les libérations. */
START_TEST(test_cache_q20_free_null_intercale)
{
	unsigned long g = 2002;
	char o[64];

	prepare(&g);
	libre = NULL;
	__hp_free(NULL);
	EXIGE(libre == NULL, "liste vide : __hp_free(NULL) doit la laisser vide, libre = %s obtenu",
	      nomme(libre, o, sizeof(o)));
	for (int k = 0; k < 300; k++) {
		struct bloc *x = &zone.b[k], *suivant;

		__hp_free(donnees(x));
		EXIGE(libre == x, "libération n°%d : le bloc libéré doit être en tête, %s obtenu", k + 1,
		      nomme(libre, o, sizeof(o)));
		suivant = x->suivant;
		for (int j = 0; j < k % 4; j++) {
			__hp_free(NULL);
			EXIGE(libre == x && x->suivant == suivant, "après %d blocs libérés, __hp_free(NULL) "
			      "a modifié la liste libre (tête %s au lieu du bloc n°%d)", k + 1,
			      nomme(libre, o, sizeof(o)), k);
		}
	}
	EXIGE(longueur_liste_libre() == 300, "300 blocs libérés (et des __hp_free(NULL)) : 300 blocs "
	      "attendus dans la liste, %d obtenus", longueur_liste_libre());
}
END_TEST

START_TEST(test_cache_q20_modele_lifo)
{
	const struct cachees_charge charges[] = {
		{ "lots libérés en LIFO", 20, 1500, CACHEES_LIFO, CACHEES_VARIEES, 0 },
		{ "lots de petits blocs libérés en LIFO", 2020, 1500, CACHEES_LIFO, CACHEES_PETITES, 0 },
	};

	cachees_charges(charges, 2);
}
END_TEST

START_TEST(test_cache_q20_modele_fifo)
{
	const struct cachees_charge charges[] = {
		{ "lots libérés en FIFO", 2021, 1500, CACHEES_FIFO, CACHEES_VARIEES, 0 },
		{ "lots de petits blocs libérés en FIFO", 2022, 1500, CACHEES_FIFO, CACHEES_PETITES, 0 },
		{ "lots libérés en FIFO (bis)", 2023, 1000, CACHEES_FIFO, CACHEES_VARIEES, 0 },
	};

	cachees_charges(charges, 3);
}
END_TEST

START_TEST(test_cache_q20_modele_tailles_limites)
{
	const struct cachees_charge charges[] = {
		{ "tailles limites, ordre aléatoire", 2030, 400, CACHEES_ALEATOIRE, CACHEES_LIMITES, 0 },
		{ "tailles limites, FIFO", 2031, 300, CACHEES_FIFO, CACHEES_LIMITES, 0 },
		{ "tailles limites, LIFO", 2032, 300, CACHEES_LIFO, CACHEES_LIMITES, 0 },
	};

	cachees_charges(charges, 3);
}
END_TEST

START_TEST(test_cache_q20_modele_aleatoire)
{
	const struct cachees_charge charges[] = {
		{ "charge aléatoire", 2040, 2000, CACHEES_ALEATOIRE, CACHEES_VARIEES, 0 },
		{ "charge aléatoire de petits blocs", 2041, 2000, CACHEES_ALEATOIRE, CACHEES_PETITES, 0 },
		{ "charge aléatoire (bis)", 2042, 2000, CACHEES_ALEATOIRE, CACHEES_VARIEES, 0 },
	};

	cachees_charges(charges, 3);
}
END_TEST

START_TEST(test_cache_q20_modele_tailles_egales)
{
	const struct cachees_charge charges[] = {
		{ "séries de tailles égales", 2050, 2000, CACHEES_EGALES, CACHEES_VARIEES, 0 },
		{ "séries de petites tailles égales", 2051, 1500, CACHEES_EGALES, CACHEES_PETITES, 0 },
		{ "séries de tailles limites égales", 2052, 300, CACHEES_EGALES, CACHEES_LIMITES, 0 },
	};

	cachees_charges(charges, 3);
}
END_TEST

Suite *suite_cachee_q20(void)
{
	TCase *tc;
	Suite *s = suite_question("Q20", &tc);

	AJOUTE_TEST(tc, test_cache_q20_empile_mille_blocs);
	AJOUTE_TEST(tc, test_cache_q20_free_null_intercale);
	AJOUTE_TEST(tc, test_cache_q20_modele_lifo);
	AJOUTE_TEST(tc, test_cache_q20_modele_fifo);
	AJOUTE_TEST(tc, test_cache_q20_modele_tailles_limites);
	AJOUTE_TEST(tc, test_cache_q20_modele_aleatoire);
	AJOUTE_TEST(tc, test_cache_q20_modele_tailles_egales);
	return s;
}
