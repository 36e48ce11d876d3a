/* check_q20.c : Q20, __hp_free, puis malloc et free ensemble. */
#include "commun.h"

#include <stdlib.h>

START_TEST(test_q20_empile_l_en_tete)
{
	struct bloc *a = bloc_fabrique(0, 64);

	a->suivant = a; /* valeur périmée : __hp_free doit la remplacer */
	__hp_free(donnees(a));
	EXIGE(libre == a, "__hp_free(p) : libre doit valoir l'en-tête de p "
			"(p - TAILLE_EN_TETE = %p), %p obtenu", (void *)a, (void *)libre);
	EXIGE(a->suivant == NULL, "premier bloc libéré : son champ suivant doit valoir "
			"l'ancienne tête (NULL), %p obtenu", (void *)a->suivant);
	EXIGE(a->taille == 64, "__hp_free ne change pas la taille : 64 attendu, %zu obtenu",
			a->taille);
}
END_TEST

START_TEST(test_q20_insertion_en_tete)
{
	struct bloc *a = bloc_fabrique(0, 16), *b = bloc_fabrique(1, 32), *c = bloc_fabrique(2, 48);

	liste_libre(&c, 1);
	__hp_free(donnees(a));
	__hp_free(donnees(b));
	EXIGE(libre == b && b->suivant == a && a->suivant == c && c->suivant == NULL,
			"liste [C], puis __hp_free(A), __hp_free(B) : [B, A, C] attendu (insertion en "
			"TÊTE, en O(1)) ; obtenu tête=%s", libre == b ? "B" : libre == a ? "A"
			: libre == c ? "C" : "autre");
}
END_TEST

START_TEST(test_q20_free_null)
{
	struct bloc *a = bloc_fabrique(0, 16), *b = bloc_fabrique(1, 32);

	liste_libre(&a, 1);
	__hp_free(NULL);
	EXIGE(libre == a && a->suivant == NULL,
			"__hp_free(NULL) ne doit rien faire : la liste libre a changé");
	__hp_free(donnees(b));
	EXIGE(libre == b && b->suivant == a, "puis __hp_free(B) : [B, A] attendu");
}
END_TEST

START_TEST(test_q20_malloc_free_malloc)
{
	void *p = __hp_malloc(100), *q;

	verifie_bloc_rendu(p, 100, "__hp_malloc(100)");
	__hp_free(p);
	q = __hp_malloc(100);
	EXIGE(q == p, "__hp_malloc(100), __hp_free, __hp_malloc(100) : le bloc libéré (%p) "
			"doit être réutilisé, %p obtenu", p, q);
	EXIGE(libre == NULL, "la liste libre doit être vide après la réutilisation");
}
END_TEST

START_TEST(test_q20_dernier_libere_premier_reutilise)
{
	void *p[4];

	for (int i = 0; i < 4; i++) {
		p[i] = __hp_malloc(64);
		verifie_bloc_rendu(p[i], 64, "__hp_malloc(64)");
	}
	for (int i = 0; i < 4; i++)
		__hp_free(p[i]);
	for (int i = 3; i >= 0; i--) {
		void *q = __hp_malloc(64);

		EXIGE(q == p[i], "4 blocs libérés dans l'ordre 0..3 : le bloc %d doit revenir "
				"maintenant (insertion en tête), %p obtenu au lieu de %p", i, q, p[i]);
	}
}
END_TEST

/* Un pilote façon malloclab : allocations et libérations tirées au hasard
 * (graine fixe). Chaque bloc rendu est vérifié (alignement, dans la réserve,
 * aucun chevauchement avec un bloc vivant) et ses données sont relues
 * intactes juste avant sa libération. */
static void charge_aleatoire(unsigned long graine, int operations, int vivants_max,
			     size_t taille_max)
{
	void **p = calloc((size_t)vivants_max, sizeof(*p));
	size_t *t = calloc((size_t)vivants_max, sizeof(*t));
	unsigned *motif = calloc((size_t)vivants_max, sizeof(*motif));

	ck_assert(p != NULL && t != NULL && motif != NULL);
	for (int op = 0; op < operations; op++) {
		int i;

		graine = graine * 6364136223846793005UL + 1442695040888963407UL;
		i = (int)((graine >> 33) % (unsigned long)vivants_max);
		if (p[i] != NULL) {
			size_t o = premier_octet_modifie(p[i], t[i], motif[i]);

			EXIGE(o == t[i], "opération %d : les données du bloc %p (%zu octets) ont "
					"été écrasées à l'octet %zu avant sa libération", op, p[i], t[i], o);
			__hp_free(p[i]);
			p[i] = NULL;
			continue;
		}
		t[i] = 1 + (graine >> 17) % taille_max;
		p[i] = __hp_malloc(t[i]);
		verifie_bloc_rendu(p[i], t[i], "charge aléatoire");
		for (int j = 0; j < vivants_max; j++)
			EXIGE(j == i || p[j] == NULL
					|| ADR(p[i]) + t[i] <= ADR(p[j]) - TAILLE_EN_TETE
					|| ADR(p[j]) + t[j] <= ADR(p[i]) - TAILLE_EN_TETE,
					"opération %d : le bloc rendu [%p, +%zu) chevauche le bloc vivant "
					"[%p, +%zu) ou son en-tête", op, p[i], t[i], p[j], t[j]);
		motif[i] = (unsigned)op;
		remplit(p[i], t[i], motif[i]);
	}
	free(p);
	free(t);
	free(motif);
}

START_TEST(test_q20_charge_aleatoire_petits_blocs)
{
	charge_aleatoire(20, 20000, 200, 128);
	longueur_liste_libre(); /* échoue si la liste libre boucle */
}
END_TEST

START_TEST(test_q20_charge_aleatoire_tailles_variees)
{
	charge_aleatoire(2020, 8000, 400, 8192);
}
END_TEST

Suite *suite_q20(void)
{
	TCase *tc;
	Suite *s = suite_question("Q20", &tc);

	AJOUTE_TEST(tc, test_q20_empile_l_en_tete);
	AJOUTE_TEST(tc, test_q20_insertion_en_tete);
	AJOUTE_TEST(tc, test_q20_free_null);
	AJOUTE_TEST(tc, test_q20_malloc_free_malloc);
	AJOUTE_TEST(tc, test_q20_dernier_libere_premier_reutilise);
	AJOUTE_TEST(tc, test_q20_charge_aleatoire_petits_blocs);
	AJOUTE_TEST(tc, test_q20_charge_aleatoire_tailles_variees);
	return s;
}
