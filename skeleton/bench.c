/*
 * bench.c : les mesures du bench (voir bench.h). Le programme qui fait
 * varier les tailles et écrit le CSV est dans bench_main.c.
 */
#include "bench.h"

#include <stdint.h>
#include <stdlib.h>

/* Les lectures aboutissent ici : volatile, le compilateur ne peut donc pas
 * supprimer les boucles dont le résultat ne servirait à rien. */
static volatile uintptr_t puits;

double duree_ns(struct timespec debut, struct timespec fin)
{
	return (double)(fin.tv_sec - debut.tv_sec) * 1e9 + (double)(fin.tv_nsec - debut.tv_nsec);
}

void prechauffe(const void *tampon, size_t taille)
{
	const volatile char *octets = tampon;
	uintptr_t somme = 0;

	for (size_t i = 0; i < taille; i += TAILLE_LIGNE)
		somme += (uintptr_t)octets[i];
	puits = somme;
}

double benchRead(const int *tampon, size_t taille, size_t acces)
{
	size_t par_passage = taille / sizeof(int) / STEP_SIZE;
	size_t passages = (acces + par_passage - 1) / par_passage;
	struct timespec debut, fin;
	uintptr_t somme = 0;

	PRE_CHAUFFE_DU_CACHE(tampon, taille);
	LANCER_CHRONO(debut);
	for (size_t p = 0; p < passages; p++)
		for (size_t i = 0; i < par_passage * STEP_SIZE; i += STEP_SIZE)
			somme += (uintptr_t)tampon[i];
	ARRETER_CHRONO(fin);
	puits = somme;
	/* un temps MOYEN : la durée totale divisée par le nombre de lectures */
	return duree_ns(debut, fin) / (double)(passages * par_passage);
}

/* Générateur pseudo-aléatoire à graine fixe : mêmes cycles à chaque
 * exécution, sur toutes les machines. */
static unsigned long suivant_aleatoire(unsigned long *graine)
{
	*graine = *graine * 6364136223846793005UL + 1442695040888963407UL;
	return *graine >> 33;
}

size_t prepare_poursuite(char *tampon, size_t taille, size_t pas, unsigned long graine)
{
	size_t n = taille / pas;
	size_t *ordre = malloc(n * sizeof(*ordre));

	if (ordre == NULL || n < 2) {
		free(ordre);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		ordre[i] = i;
	/* Algorithme de Sattolo : une permutation formée d'un seul cycle, qui
	 * passe donc par toutes les lignes avant de revenir au départ. */
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = suivant_aleatoire(&graine) % i;
		size_t t = ordre[i];

		ordre[i] = ordre[j];
		ordre[j] = t;
	}
	/* Avec un pas d'une page, on décale la ligne lue dans chaque page pour
	 * répartir les lignes sur tous les ensembles du cache. */
	for (size_t i = 0; i < n; i++) {
		size_t de = ordre[i], vers = ordre[(i + 1) % n];
		size_t decalage_de = pas > TAILLE_LIGNE ? de % (pas / TAILLE_LIGNE) * TAILLE_LIGNE : 0;
		size_t decalage_vers = pas > TAILLE_LIGNE ? vers % (pas / TAILLE_LIGNE) * TAILLE_LIGNE : 0;

		*(void **)(tampon + de * pas + decalage_de) = tampon + vers * pas + decalage_vers;
	}
	free(ordre);
	return n;
}

#define UN p = *(void **)p;
#define SEIZE UN UN UN UN UN UN UN UN UN UN UN UN UN UN UN UN

double benchChase(char *tampon, size_t acces)
{
	struct timespec debut, fin;
	void *p = tampon;
	size_t tours = (acces + 15) / 16;

	LANCER_CHRONO(debut);
	for (size_t i = 0; i < tours; i++) {
		SEIZE /* 16 lectures dépendantes : le coût de la boucle s'efface */
	}
	ARRETER_CHRONO(fin);
	puits = (uintptr_t)p;
	return duree_ns(debut, fin) / (double)(tours * 16);
}
