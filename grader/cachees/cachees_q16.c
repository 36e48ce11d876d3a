/*
 * cachees_q16.c : tests cachés de la Q16, recherche_bloc_libre sur de
 * longues listes construites à la main (1000 en-têtes dans un tableau
 * statique, hors de la réserve), comparées à un modèle après chaque appel.
 */
#include "cachees.h"

#include <stdio.h>
#include <string.h>

#define N 1000

static _Alignas(ALIGNEMENT) struct bloc blocs[N];
static size_t tailles[N]; /* taille que chaque bloc doit garder */
static int liste[N];      /* la liste libre attendue : numéros, tête d'abord */
static int longueur;

/* « bloc n°12 (taille 48) » ou l'adresse si ce n'est pas un de nos blocs. */
static const char *nomme(const struct bloc *b, char *tampon, size_t taille)
{
	if (b == NULL)
		snprintf(tampon, taille, "NULL");
	else if (ADR(b) >= ADR(blocs) && ADR(b) < ADR(blocs + N) && (ADR(b) - ADR(blocs)) % sizeof(*b) == 0)
		snprintf(tampon, taille, "le bloc n°%d (taille %zu)", (int)(b - blocs), tailles[b - blocs]);
	else if (ADR(b) + 65536 > ADR(blocs) && ADR(b) < ADR(blocs + N) + 65536)
		snprintf(tampon, taille, "l'adresse %+td octets après l'en-tête du bloc n°0 (pas un bloc de la liste)",
			 (ptrdiff_t)(ADR(b) - ADR(blocs)));
	else
		snprintf(tampon, taille, "%p (pas un bloc de la liste)", (const void *)b);
	return tampon;
}

/* La liste libre devient blocs[ordre[0]] -> ... -> blocs[ordre[n-1]]. */
static void construit(const int *ordre, int n)
{
	memmove(liste, ordre, (size_t)n * sizeof(*liste));
	longueur = n;
	libre = NULL;
	for (int i = n - 1; i >= 0; i--) {
		blocs[liste[i]].taille = tailles[liste[i]];
		blocs[liste[i]].suivant = libre;
		libre = &blocs[liste[i]];
	}
}

static void construit_dans_l_ordre(int n)
{
	int ordre[N];

	for (int i = 0; i < n; i++)
		ordre[i] = i;
	construit(ordre, n);
}

/* La vraie liste est-elle exactement le modèle (ordre, fin, tailles) ? */
static void verifie(const char *contexte)
{
	const struct bloc *b = libre;
	char a[128], o[128];

	for (int i = 0; i < longueur; i++, b = b->suivant) {
		if (b != &blocs[liste[i]])
			ck_abort_msg("%s : en position %d de la liste libre (longueur %d attendue), %s "
				     "attendu, %s obtenu ; les blocs non retenus doivent rester dans leur ordre",
				     contexte, i, longueur, nomme(&blocs[liste[i]], a, sizeof(a)),
				     nomme(b, o, sizeof(o)));
		EXIGE(b->taille == tailles[liste[i]], "%s : le bloc n°%d a maintenant la taille %zu au "
		      "lieu de %zu : la recherche ne doit modifier aucune taille", contexte, liste[i],
		      b->taille, tailles[liste[i]]);
	}
	if (b != NULL)
		ck_abort_msg("%s : la liste libre doit s'arrêter après %d blocs (suivant = NULL), elle "
			     "continue sur %s", contexte, longueur, nomme(b, o, sizeof(o)));
}

/* recherche_bloc_libre(taille) comparée au modèle, puis toute la liste. */
static struct bloc *cherche(size_t taille, const char *contexte)
{
	int position = -1;
	struct bloc *attendu = NULL, *r;
	char a[128], o[128], c[160];

	for (int i = 0; i < longueur && position < 0; i++)
		if (tailles[liste[i]] >= taille)
			position = i;
	if (position >= 0)
		attendu = &blocs[liste[position]];
	r = recherche_bloc_libre(taille);
	if (r != attendu)
		ck_abort_msg("%s : recherche_bloc_libre(%zu) sur une liste de %d blocs : %s attendu "
			     "(%s), %s obtenu", contexte, taille, longueur, nomme(attendu, a, sizeof(a)),
			     attendu ? "le PREMIER depuis la tête de taille >= à la demande"
				     : "aucun bloc n'est assez grand",
			     nomme(r, o, sizeof(o)));
	if (position >= 0) {
		memmove(&liste[position], &liste[position + 1],
			(size_t)(longueur - position - 1) * sizeof(*liste));
		longueur--;
	}
	snprintf(c, sizeof(c), "%s, après recherche_bloc_libre(%zu)%s", contexte, taille,
		 position == 0 ? " (retrait en tête)" : position < 0 ? " (rien trouvé)"
		 : position == longueur ? " (retrait en queue)" : " (retrait au milieu)");
	verifie(c);
	return r;
}

/* 1000 blocs de 16 à 256 octets, 700 recherches tirées au hasard (tailles
 * exactes, intermédiaires, trop grandes), la liste relue après chacune. */
static void modele(unsigned long graine)
{
	unsigned long g = graine;
	char contexte[64];

	for (int i = 0; i < N; i++)
		tailles[i] = 16 * (1 + cachees_alea(&g) % 16);
	construit_dans_l_ordre(N);
	for (int k = 0; k < 700; k++) {
		unsigned long r = cachees_alea(&g);
		size_t t = r % 4 == 0 ? 1 + (r >> 4) % 280 : 16 * (1 + (r >> 4) % 17);

		snprintf(contexte, sizeof(contexte), "graine %lu, recherche n°%d", graine, k + 1);
		cherche(t, contexte);
	}
}

START_TEST(test_cache_q16_modele_mille_blocs)
{
	modele(16);
	modele(1600);
	modele(424242);
}
END_TEST

/* Un bloc rendu unique (taille énorme) en tête, au milieu ou en queue de la
 * liste, 300 fois : la liste perd exactement ce bloc à chaque fois. */
START_TEST(test_cache_q16_retraits_tete_milieu_queue)
{
	unsigned long g = 1616;
	char contexte[64];

	for (int i = 0; i < N; i++)
		tailles[i] = 16 * (1 + cachees_alea(&g) % 16);
	construit_dans_l_ordre(N);
	for (int k = 0; k < 300; k++) {
		int position = k % 3 == 0 ? 0 : k % 3 == 1 ? longueur / 2 : longueur - 1;
		int numero = liste[position];

		tailles[numero] = blocs[numero].taille = 65536;
		snprintf(contexte, sizeof(contexte), "retrait n°%d (%s)", k + 1,
			 k % 3 == 0 ? "en tête" : k % 3 == 1 ? "au milieu" : "en queue");
		cherche(65536, contexte);
		EXIGE(longueur == N - k - 1, "tests : longueur attendue fausse");
	}
	/* puis les retraits en queue à la suite, jusqu'à vider la liste */
	while (longueur > 0) {
		int numero = liste[longueur - 1];

		tailles[numero] = blocs[numero].taille = 1 << 20;
		snprintf(contexte, sizeof(contexte), "retraits en queue, %d blocs restants", longueur);
		cherche(1 << 20, contexte);
	}
	EXIGE(libre == NULL, "liste vidée par la queue : libre = NULL attendu, %p obtenu", (void *)libre);
}
END_TEST

/* Aucun bloc assez grand : NULL, et la liste reste intacte (chaque suivant,
 * chaque taille). Liste vide : NULL, libre reste NULL. */
START_TEST(test_cache_q16_aucun_ne_convient)
{
	static const size_t trop[] = { 257, 272, 4096, (size_t)1 << 40, SIZE_MAX - 15, SIZE_MAX };
	struct bloc *r;

	libre = NULL;
	longueur = 0;
	r = recherche_bloc_libre(16);
	EXIGE(r == NULL && libre == NULL, "liste vide : NULL attendu et libre doit rester NULL "
	      "(obtenu %p, libre = %p)", (void *)r, (void *)libre);
	for (int i = 0; i < N; i++)
		tailles[i] = 16 * (1 + (size_t)(i * 7 % 16));
	construit_dans_l_ordre(1);
	cherche(32, "liste d'un bloc de 16");
	construit_dans_l_ordre(N);
	for (int i = 0; i < 6; i++)
		cherche(trop[i], "1000 blocs de 16 à 256 octets");
	cherche(256, "1000 blocs de 16 à 256 octets");
}
END_TEST

/* Premier parmi des égaux, et premier (pas le meilleur) : sur [.., 64, .., 48],
 * une demande de 48 prend le bloc de 64 s'il vient d'abord. */
START_TEST(test_cache_q16_premier_pas_le_meilleur)
{
	int ordre[N];

	for (int i = 0; i < N; i++)
		tailles[i] = 48;
	construit_dans_l_ordre(N);
	for (int k = 0; k < 20; k++)
		cherche(48, "1000 blocs de 48, demande de 48 (taille égale : >=)");
	for (int i = 0; i < N; i++) {
		tailles[i] = i % 10 == 0 ? 32 : i % 10 == 3 ? 64 : 48;
		ordre[i] = N - 1 - i;
	}
	construit(ordre, N);
	for (int k = 0; k < 200; k++)
		cherche(k % 2 ? 48 : 33, "blocs de 32, 48 et 64 mêlés (first fit, pas best fit)");
	for (int k = 0; k < 40; k++)
		cherche(64, "blocs de 32, 48 et 64 mêlés, demande de 64");
}
END_TEST

/* Vider la liste : recherche_bloc_libre(1) rend les blocs dans l'ordre de la
 * liste ; puis, liste refaite, des demandes décroissantes l'extraient par
 * taille (chaque fois le premier bloc de la plus grande taille restante). */
START_TEST(test_cache_q16_vider_la_liste)
{
	unsigned long g = 161616;
	int ordre[N];

	for (int i = 0; i < N; i++) {
		tailles[i] = 16 * (1 + cachees_alea(&g) % 16);
		ordre[i] = (int)((size_t)i * 379 % N); /* une permutation */
	}
	construit(ordre, N);
	while (longueur > 0)
		cherche(1, "liste vidée par la tête");
	EXIGE(libre == NULL, "liste vidée : libre = NULL attendu, %p obtenu", (void *)libre);
	EXIGE(recherche_bloc_libre(1) == NULL, "liste vide : NULL attendu");
	construit(ordre, N);
	for (size_t t = 256; t >= 16; t -= 16)
		while (cherche(t, "extraction par tailles décroissantes") != NULL)
			;
	EXIGE(longueur == 0 && libre == NULL, "toute la liste devait être extraite (reste %d)", longueur);
}
END_TEST

Suite *suite_cachee_q16(void)
{
	TCase *tc;
	Suite *s = suite_question("Q16", &tc);

	AJOUTE_TEST(tc, test_cache_q16_modele_mille_blocs);
	AJOUTE_TEST(tc, test_cache_q16_retraits_tete_milieu_queue);
	AJOUTE_TEST(tc, test_cache_q16_aucun_ne_convient);
	AJOUTE_TEST(tc, test_cache_q16_premier_pas_le_meilleur);
	AJOUTE_TEST(tc, test_cache_q16_vider_la_liste);
	return s;
}
