/* check_q18.c : Q18, __hp_malloc réutilise d'abord un bloc de la liste libre. */
#include "commun.h"

/* Empile à la main le bloc de données p sur la liste libre (sans __hp_free,
 * pour que ces tests ne dépendent pas de la Q20). */
static void rend_a_la_main(void *p)
{
	struct bloc *b = (struct bloc *)((char *)p - TAILLE_EN_TETE);

	b->suivant = libre;
	libre = b;
}

START_TEST(test_q18_reutilise_bloc_libre)
{
	struct bloc *a = bloc_fabrique(0, 64);
	void *p;

	liste_libre(&a, 1);
	p = __hp_malloc(64);
	EXIGE(p == donnees(a), "liste libre [64], __hp_malloc(64) : le bloc libre attendu "
			"(%p, juste après son en-tête), %p obtenu", donnees(a), p);
	EXIGE(libre == NULL, "le bloc réutilisé doit quitter la liste libre : libre = NULL "
			"attendu, %p obtenu", (void *)libre);
}
END_TEST

START_TEST(test_q18_premier_bloc_qui_convient)
{
	struct bloc *l[] = { bloc_fabrique(0, 16), bloc_fabrique(1, 64), bloc_fabrique(2, 128) };
	void *p;

	liste_libre(l, 3);
	p = __hp_malloc(50);
	EXIGE(p == donnees(l[1]), "liste libre [16, 64, 128], __hp_malloc(50) : les données "
			"du bloc de 64 attendues (%p), %p obtenu", donnees(l[1]), p);
	EXIGE(libre == l[0] && l[0]->suivant == l[2],
			"il doit rester [16, 128] dans la liste libre");
}
END_TEST

START_TEST(test_q18_sinon_bloc_neuf)
{
	struct bloc *a = bloc_fabrique(0, 16);
	void *p;

	liste_libre(&a, 1);
	p = __hp_malloc(100);
	verifie_bloc_rendu(p, 100, "liste libre [16], __hp_malloc(100) : un bloc neuf de la réserve");
	EXIGE(libre == a && a->suivant == NULL,
			"le bloc libre trop petit doit rester seul dans la liste libre");
}
END_TEST

START_TEST(test_q18_bloc_reutilise_garde_sa_taille)
{
	char *p = __hp_malloc(256);
	char *q, *r;

	verifie_bloc_rendu(p, 256, "__hp_malloc(256)");
	rend_a_la_main(p);
	q = __hp_malloc(16);
	EXIGE(q == p, "bloc libre de 256, __hp_malloc(16) : ce bloc attendu (%p), %p obtenu",
			(void *)p, (void *)q);
	EXIGE(((struct bloc *)(q - TAILLE_EN_TETE))->taille == 256,
			"un bloc réutilisé garde sa taille : 256 attendu, %zu obtenu",
			((struct bloc *)(q - TAILLE_EN_TETE))->taille);
	r = __hp_malloc(16);
	verifie_bloc_rendu(r, 16, "__hp_malloc(16) suivant");
	EXIGE(r >= p + 256 + TAILLE_EN_TETE || r + 16 <= p - TAILLE_EN_TETE,
			"le bloc neuf %p chevauche le bloc réutilisé [%p, +256)", (void *)r, (void *)p);
}
END_TEST

START_TEST(test_q18_pas_deux_fois_le_meme_bloc)
{
	char *p = __hp_malloc(64);
	char *q1, *q2;

	verifie_bloc_rendu(p, 64, "__hp_malloc(64)");
	rend_a_la_main(p);
	q1 = __hp_malloc(64);
	q2 = __hp_malloc(64);
	EXIGE(q1 == p, "premier __hp_malloc(64) : le bloc libre %p attendu, %p obtenu",
			(void *)p, (void *)q1);
	EXIGE(q2 != p, "second __hp_malloc(64) : le bloc %p est déjà utilisé, il ne doit "
			"pas être rendu deux fois (est-il resté dans la liste libre ?)", (void *)p);
	verifie_bloc_rendu(q2, 64, "second __hp_malloc(64)");
}
END_TEST

START_TEST(test_q18_reutilise_puis_reprend_le_curseur)
{
	char *p1 = __hp_malloc(32);
	char *p2 = __hp_malloc(32);
	char *q, *p3;

	verifie_bloc_rendu(p1, 32, "__hp_malloc(32)");
	verifie_bloc_rendu(p2, 32, "second __hp_malloc(32)");
	rend_a_la_main(p1);
	q = __hp_malloc(32);
	p3 = __hp_malloc(32);
	EXIGE(q == p1, "le bloc libéré %p attendu, %p obtenu", (void *)p1, (void *)q);
	EXIGE(p3 == p2 + 32 + TAILLE_EN_TETE,
			"liste libre vide : le bloc neuf doit suivre le dernier distribué (%p), %p obtenu ; "
			"une réutilisation ne doit pas avancer le curseur",
			(void *)(p2 + 32 + TAILLE_EN_TETE), (void *)p3);
}
END_TEST

Suite *suite_q18(void)
{
	TCase *tc;
	Suite *s = suite_question("Q18", &tc);

	AJOUTE_TEST(tc, test_q18_reutilise_bloc_libre);
	AJOUTE_TEST(tc, test_q18_premier_bloc_qui_convient);
	AJOUTE_TEST(tc, test_q18_sinon_bloc_neuf);
	AJOUTE_TEST(tc, test_q18_bloc_reutilise_garde_sa_taille);
	AJOUTE_TEST(tc, test_q18_pas_deux_fois_le_meme_bloc);
	AJOUTE_TEST(tc, test_q18_reutilise_puis_reprend_le_curseur);
	return s;
}
