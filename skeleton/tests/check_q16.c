/* check_q16.c : Q16, recherche_bloc_libre sur des listes construites à la main. */
#include "commun.h"

/* Vérifie que la liste libre est exactement attendus[0..n-1]. */
static void verifie_liste(struct bloc **attendus, int n, const char *contexte)
{
	struct bloc *b = libre;

	for (int i = 0; i < n; i++, b = b->suivant)
		EXIGE(b == attendus[i], "%s : en position %d de la liste libre, "
				"bloc %p attendu, %p obtenu", contexte, i, (void *)attendus[i], (void *)b);
	EXIGE(b == NULL, "%s : la liste libre doit s'arrêter après %d bloc(s), "
			"elle continue sur %p", contexte, n, (void *)b);
}

START_TEST(test_q16_trouve_le_seul_bloc)
{
	struct bloc *a = bloc_fabrique(0, 64);
	struct bloc *r;

	liste_libre(&a, 1);
	r = recherche_bloc_libre(32);
	EXIGE(r == a, "liste [64], demande 32 : le bloc de 64 attendu, %p obtenu", (void *)r);
	EXIGE(libre == NULL, "le seul bloc trouvé doit quitter la liste : libre = NULL "
			"attendu, %p obtenu", (void *)libre);
}
END_TEST

START_TEST(test_q16_premier_qui_convient)
{
	struct bloc *l[] = { bloc_fabrique(0, 16), bloc_fabrique(1, 64), bloc_fabrique(2, 128) };
	struct bloc *r = recherche_bloc_libre(48);
	struct bloc *reste[] = { l[0], l[2] };

	EXIGE(r == NULL, "liste vide : NULL attendu, %p obtenu", (void *)r);
	liste_libre(l, 3);
	r = recherche_bloc_libre(48);
	EXIGE(r == l[1], "liste [16, 64, 128], demande 48 : le bloc de 64 attendu "
			"(premier assez grand), bloc de %zu obtenu", r ? r->taille : 0);
	verifie_liste(reste, 2, "après retrait du bloc du milieu");
}
END_TEST

START_TEST(test_q16_taille_exacte)
{
	struct bloc *l[] = { bloc_fabrique(0, 32), bloc_fabrique(1, 48), bloc_fabrique(2, 64) };
	struct bloc *r;

	liste_libre(l, 3);
	r = recherche_bloc_libre(48);
	EXIGE(r == l[1], "liste [32, 48, 64], demande 48 : le bloc de 48 attendu "
			"(un bloc de taille égale convient : >= et non >), bloc de %zu obtenu",
			r ? r->taille : 0);
}
END_TEST

START_TEST(test_q16_premier_et_non_le_meilleur)
{
	struct bloc *l[] = { bloc_fabrique(0, 128), bloc_fabrique(1, 32), bloc_fabrique(2, 48) };
	struct bloc *r;

	liste_libre(l, 3);
	r = recherche_bloc_libre(32);
	EXIGE(r == l[0], "liste [128, 32, 48], demande 32 : le bloc de 128 attendu (le PREMIER qui "
	      "convient, pas le plus ajusté), bloc de %zu obtenu", r ? r->taille : 0);
}
END_TEST

START_TEST(test_q16_retrait_en_tete)
{
	struct bloc *l[] = { bloc_fabrique(0, 64), bloc_fabrique(1, 64), bloc_fabrique(2, 32) };
	struct bloc *r;

	liste_libre(l, 3);
	r = recherche_bloc_libre(64);
	EXIGE(r == l[0], "liste [64, 64, 32], demande 64 : le premier bloc attendu, %p obtenu",
			(void *)r);
	verifie_liste(l + 1, 2, "après retrait du bloc de tête (libre doit avancer)");
}
END_TEST

START_TEST(test_q16_retrait_en_queue)
{
	struct bloc *l[] = { bloc_fabrique(0, 16), bloc_fabrique(1, 16), bloc_fabrique(2, 64) };
	struct bloc *r;

	liste_libre(l, 3);
	r = recherche_bloc_libre(64);
	EXIGE(r == l[2], "liste [16, 16, 64], demande 64 : le dernier bloc attendu, %p obtenu",
			(void *)r);
	verifie_liste(l, 2, "après retrait du dernier bloc");
}
END_TEST

START_TEST(test_q16_aucun_bloc_assez_grand)
{
	struct bloc *l[] = { bloc_fabrique(0, 16), bloc_fabrique(1, 32) };
	struct bloc *r;

	liste_libre(l, 2);
	r = recherche_bloc_libre(64);
	EXIGE(r == NULL, "liste [16, 32], demande 64 : NULL attendu, %p obtenu", (void *)r);
	verifie_liste(l, 2, "une recherche sans résultat ne modifie pas la liste");
	r = recherche_bloc_libre(32);
	EXIGE(r == l[1], "puis demande 32 : le bloc de 32 attendu, %p obtenu", (void *)r);
}
END_TEST

START_TEST(test_q16_garde_sa_taille)
{
	struct bloc *a = bloc_fabrique(0, 256);
	struct bloc *r;

	liste_libre(&a, 1);
	r = recherche_bloc_libre(16);
	EXIGE(r == a, "liste [256], demande 16 : le bloc de 256 attendu, %p obtenu", (void *)r);
	EXIGE(r->taille == 256, "le bloc rendu garde sa taille (pas de découpage) : "
			"256 attendu, %zu obtenu", r->taille);
}
END_TEST

START_TEST(test_q16_longue_liste)
{
	enum { N = 16 };
	struct bloc *l[N];
	struct bloc *r;

	for (int i = 0; i < N; i++)
		l[i] = bloc_fabrique(i, 16 * (size_t)(i % 4 + 1));
	liste_libre(l, N);
	for (int i = 0; i < N / 4; i++) {
		r = recherche_bloc_libre(64);
		EXIGE(r == l[4 * i + 3], "recherche n°%d de 64 dans [16, 32, 48, 64, ...] : "
				"le bloc n°%d attendu, %p obtenu", i + 1, 4 * i + 3, (void *)r);
	}
	EXIGE(recherche_bloc_libre(64) == NULL, "plus aucun bloc de 64 : NULL attendu");
	EXIGE(longueur_liste_libre() == N - N / 4, "%d blocs attendus dans la liste, %d obtenus",
			N - N / 4, longueur_liste_libre());
}
END_TEST

Suite *suite_q16(void)
{
	TCase *tc;
	Suite *s = suite_question("Q16", &tc);

	AJOUTE_TEST(tc, test_q16_trouve_le_seul_bloc);
	AJOUTE_TEST(tc, test_q16_premier_qui_convient);
	AJOUTE_TEST(tc, test_q16_taille_exacte);
	AJOUTE_TEST(tc, test_q16_premier_et_non_le_meilleur);
	AJOUTE_TEST(tc, test_q16_retrait_en_tete);
	AJOUTE_TEST(tc, test_q16_retrait_en_queue);
	AJOUTE_TEST(tc, test_q16_aucun_bloc_assez_grand);
	AJOUTE_TEST(tc, test_q16_garde_sa_taille);
	AJOUTE_TEST(tc, test_q16_longue_liste);
	return s;
}
