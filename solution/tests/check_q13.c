/* check_q13.c : Q13, __hp_malloc en allocation « bump » (liste libre vide). */
#include "commun.h"

#include <errno.h>
#include <string.h>

START_TEST(test_q13_premier_bloc_apres_en_tete)
{
	char *p = __hp_malloc(100);
	char *attendu = (char *)reserve.mem + TAILLE_EN_TETE;

	EXIGE(p != NULL, "__hp_malloc(100) : NULL obtenu, un pointeur attendu");
	EXIGE(p == attendu,
			"premier bloc : adresse reserve.mem + %zu (juste après son en-tête) attendue, "
			"reserve.mem + %td obtenue", TAILLE_EN_TETE, p - (char *)reserve.mem);
}
END_TEST

START_TEST(test_q13_en_tete_initialise)
{
	static const size_t tailles[] = { 1, 15, 16, 17, 100, 4096, 5000 };

	for (size_t i = 0; i < sizeof(tailles) / sizeof(tailles[0]); i++) {
		char *p = __hp_malloc(tailles[i]);
		struct bloc *b = (struct bloc *)(p - TAILLE_EN_TETE);
		size_t attendu = calcule_multiple_aligne(tailles[i]);

		EXIGE(p != NULL, "__hp_malloc(%zu) : NULL obtenu", tailles[i]);
		EXIGE(b->taille == attendu,
				"__hp_malloc(%zu) : en-tête avec taille = %zu attendu "
				"(taille arrondie par calcule_multiple_aligne), %zu obtenu",
				tailles[i], attendu, b->taille);
	}
}
END_TEST

START_TEST(test_q13_blocs_consecutifs)
{
	char *p1 = __hp_malloc(100);
	char *p2 = __hp_malloc(30);
	char *p3 = __hp_malloc(1);

	EXIGE(p1 != NULL && p2 != NULL && p3 != NULL, "__hp_malloc a rendu NULL");
	EXIGE(p2 - p1 == (ptrdiff_t)(TAILLE_EN_TETE + 112),
			"__hp_malloc(100) puis __hp_malloc(30) : le second bloc doit suivre le premier "
			"de %zu octets (en-tête + 100 arrondi à 112), écart obtenu : %td. "
			"Le curseur « alloue » est-il static et avance-t-il de TAILLE_EN_TETE + taille ?",
			TAILLE_EN_TETE + 112, p2 - p1);
	EXIGE(p3 - p2 == (ptrdiff_t)(TAILLE_EN_TETE + 32),
			"__hp_malloc(30) puis __hp_malloc(1) : écart de %zu octets attendu, %td obtenu",
			TAILLE_EN_TETE + 32, p3 - p2);
}
END_TEST

START_TEST(test_q13_alignement)
{
	for (size_t taille = 1; taille <= 48; taille++) {
		void *p = __hp_malloc(taille);

		EXIGE(p != NULL, "__hp_malloc(%zu) : NULL obtenu", taille);
		EXIGE(ADR(p) % ALIGNEMENT == 0,
				"__hp_malloc(%zu) : adresse alignée sur %d attendue, %p obtenue "
				"(reste %lu) ; la taille est-elle arrondie par calcule_multiple_aligne ?",
				taille, ALIGNEMENT, p, (unsigned long)(ADR(p) % ALIGNEMENT));
	}
}
END_TEST

START_TEST(test_q13_pas_de_chevauchement)
{
	enum { N = 20 };
	char *p[N];
	size_t t[N];

	for (int i = 0; i < N; i++) {
		t[i] = 1 + (size_t)i * 37;
		p[i] = __hp_malloc(t[i]);
		verifie_bloc_rendu(p[i], t[i], "__hp_malloc");
		remplit(p[i], t[i], (unsigned)i);
	}
	for (int i = 0; i < N; i++) {
		size_t o = premier_octet_modifie(p[i], t[i], (unsigned)i);
		struct bloc *b = (struct bloc *)(p[i] - TAILLE_EN_TETE);

		EXIGE(o == t[i], "bloc %d (%zu octets) : octet %zu écrasé en remplissant "
				"les blocs suivants ; les blocs se chevauchent", i, t[i], o);
		EXIGE(b->taille == calcule_multiple_aligne(t[i]),
				"bloc %d : en-tête écrasé (taille %zu au lieu de %zu) ; "
				"le curseur avance-t-il aussi de TAILLE_EN_TETE ?",
				i, b->taille, calcule_multiple_aligne(t[i]));
	}
}
END_TEST

START_TEST(test_q13_reserve_epuisee)
{
	void *p;

	errno = 0;
	p = __hp_malloc(reserve.taille);
	EXIGE(p == NULL, "__hp_malloc(taille de la réserve) : NULL attendu "
			"(pas de place pour l'en-tête), %p obtenu", p);
	EXIGE(errno == ENOMEM, "réserve épuisée : errno = ENOMEM attendu, %d obtenu", errno);
	p = __hp_malloc(64);
	EXIGE(p == (char *)reserve.mem + TAILLE_EN_TETE,
			"après un échec, __hp_malloc(64) doit rendre le début de la réserve "
			"(l'échec n'avance pas le curseur), %p obtenu", p);
}
END_TEST

START_TEST(test_q13_remplit_exactement_la_reserve)
{
	size_t pas = (size_t)1 << 20, n = reserve.taille / pas;
	char *p = NULL;

	for (size_t i = 0; i < n; i++) {
		p = __hp_malloc(pas - TAILLE_EN_TETE);
		EXIGE(p != NULL, "bloc %zu sur %zu de 1 Mio (en-tête compris) : NULL obtenu "
				"alors que la réserve a encore la place exacte", i + 1, n);
		verifie_bloc_rendu(p, pas - TAILLE_EN_TETE, "réserve pleine");
	}
	p[pas - TAILLE_EN_TETE - 1] = 1; /* dernier octet de la réserve */
	p = __hp_malloc(1);
	EXIGE(p == NULL, "réserve pleine : __hp_malloc(1) doit rendre NULL, %p obtenu", p);
}
END_TEST

/* Comme un pilote de malloclab : des tailles tirées au hasard (graine fixe),
 * chaque bloc vérifié, puis tous relus à la fin. */
START_TEST(test_q13_charge_aleatoire)
{
	enum { N = 1500 };
	static char *p[N];
	static size_t t[N];
	unsigned long graine = 13;

	for (int i = 0; i < N; i++) {
		graine = graine * 6364136223846793005UL + 1442695040888963407UL;
		t[i] = 1 + (graine >> 33) % (i % 10 == 0 ? 8192 : 256);
		p[i] = __hp_malloc(t[i]);
		verifie_bloc_rendu(p[i], t[i], "charge aléatoire");
		for (int j = 0; j < i; j++)
			EXIGE(ADR(p[i]) + t[i] <= ADR(p[j]) - TAILLE_EN_TETE
					|| ADR(p[j]) + t[j] <= ADR(p[i]) - TAILLE_EN_TETE,
					"charge aléatoire : le bloc %d [%p, +%zu) chevauche le bloc %d "
					"[%p, +%zu) ou son en-tête", i, p[i], t[i], j, p[j], t[j]);
		remplit(p[i], t[i], (unsigned)i);
	}
	for (int i = 0; i < N; i++)
		EXIGE(premier_octet_modifie(p[i], t[i], (unsigned)i) == t[i],
				"charge aléatoire : données du bloc %d écrasées", i);
}
END_TEST

Suite *suite_q13(void)
{
	TCase *tc;
	Suite *s = suite_question("Q13", &tc);

	AJOUTE_TEST(tc, test_q13_premier_bloc_apres_en_tete);
	AJOUTE_TEST(tc, test_q13_en_tete_initialise);
	AJOUTE_TEST(tc, test_q13_blocs_consecutifs);
	AJOUTE_TEST(tc, test_q13_alignement);
	AJOUTE_TEST(tc, test_q13_pas_de_chevauchement);
	AJOUTE_TEST(tc, test_q13_reserve_epuisee);
	AJOUTE_TEST(tc, test_q13_remplit_exactement_la_reserve);
	AJOUTE_TEST(tc, test_q13_charge_aleatoire);
	return s;
}
