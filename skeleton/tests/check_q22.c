/*
 * check_q22.c : Q22, votre allocateur chargé par LD_PRELOAD dans de vrais
 * programmes (par l'enveloppe libmalloc_wrapper.so, fournie).
 *
 * Les programmes sont lancés avec HP_STATS=1 : le résumé que l'enveloppe
 * écrit à la fin dit si la réserve a vraiment servi.
 */
#define _GNU_SOURCE
#include "commun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Délai d'un programme lancé ; celui du test (tcase_set_timeout) est plus long. */
#define DELAI_MS 2000

static char *lit_fichier(const char *nom)
{
	static char texte[1 << 20];
	FILE *f = fopen(nom, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(texte, 1, sizeof(texte) - 1, f);
		fclose(f);
	}
	texte[n] = '\0';
	return texte;
}

/* Lance argv préchargé et échoue avec un message si ça se passe mal. */
static void lance_et_verifie(char *const argv[], const char *entree, const char *sortie,
			     const char *erreurs)
{
	int statut = lance_programme(argv, entree, sortie, erreurs, 1, DELAI_MS);

	EXIGE(statut != -1, "%s préchargé avec votre allocateur ne s'est pas terminé en %d ms "
	      "(boucle infinie dans la liste libre ?)", argv[0], DELAI_MS);
	if (WIFSIGNALED(statut))
		ck_abort_msg("%s préchargé avec votre allocateur : tué par le signal %d (%s)", argv[0],
			     WTERMSIG(statut), strsignal(WTERMSIG(statut)));
	EXIGE(WIFEXITED(statut) && WEXITSTATUS(statut) == 0,
	      "%s préchargé avec votre allocateur : code de sortie %d ; début de stderr : %.200s",
	      argv[0], WEXITSTATUS(statut), lit_fichier(erreurs));
}

static int compare_chaines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_q22_programme_reel_precharge)
{
	enum { N = 20000 };
	static char lignes[N][16];
	static char *tri[N];
	char dossier[] = "/tmp/q22_XXXXXX", entree[64], sortie[64], erreurs[64];
	char *argv[] = { "sort", NULL };
	FILE *f;
	char *obtenu;
	long servis;
	int resumes;

	EXIGE(mkdtemp(dossier) != NULL, "dossier temporaire impossible");
	snprintf(entree, sizeof(entree), "%s/entree", dossier);
	snprintf(sortie, sizeof(sortie), "%s/sortie", dossier);
	snprintf(erreurs, sizeof(erreurs), "%s/erreurs", dossier);
	f = fopen(entree, "w");
	for (unsigned i = 0; i < N; i++) {
		snprintf(lignes[i], sizeof(lignes[i]), "%u", (i * 2654435761u) % 1000003u);
		tri[i] = lignes[i];
		fprintf(f, "%s\n", lignes[i]);
	}
	fclose(f);
	qsort(tri, N, sizeof(*tri), compare_chaines);
	lance_et_verifie(argv, entree, sortie, erreurs);
	servis = blocs_servis(erreurs, &resumes);
	obtenu = lit_fichier(sortie);
	for (int i = 0; i < N; i++) {
		size_t n = strlen(tri[i]);

		EXIGE(strncmp(obtenu, tri[i], n) == 0 && obtenu[n] == '\n',
		      "sort préchargé : ligne %d fausse (%s attendu) : des données ont été écrasées", i + 1, tri[i]);
		obtenu += n + 1;
	}
	EXIGE(servis > 0, "sort préchargé : la réserve n'a servi aucun bloc (%ld), tout est passé par "
	      "la libc : __hp_malloc rend-il NULL ?", servis);
	remove(entree);
	remove(sortie);
	remove(erreurs);
	rmdir(dossier);
}
END_TEST

START_TEST(test_q22_bench_precharge)
{
	char dossier[] = "/tmp/q22_XXXXXX", sortie[64], erreurs[64];
	const char *bench = getenv("HP_BENCH");
	char *argv[] = { (char *)(bench != NULL && *bench != '\0' ? bench : "./bench"), "--max", "256K",
			 "--repetitions", "1", "--points", "1", NULL };
	const char *csv;
	int lignes = 0;

	EXIGE(mkdtemp(dossier) != NULL, "dossier temporaire impossible");
	snprintf(sortie, sizeof(sortie), "%s/sortie", dossier);
	snprintf(erreurs, sizeof(erreurs), "%s/erreurs", dossier);
	lance_et_verifie(argv, "/dev/null", sortie, erreurs);
	csv = lit_fichier(sortie);
	EXIGE(strstr(csv, "# reserve: réserve de hp_malloc (LD_PRELOAD)") != NULL,
	      "bench préchargé : le tampon ne vient pas de la réserve (ligne « # reserve: » du CSV)");
	for (const char *l = strstr(csv, "taille_octets"); l != NULL; l = strchr(l + 1, '\n'))
		lignes++;
	EXIGE(lignes >= 6, "bench préchargé : au moins 5 tailles mesurées attendues, %d obtenues", lignes - 2);
	remove(sortie);
	remove(erreurs);
	rmdir(dossier);
}
END_TEST

Suite *suite_q22(void)
{
	Suite *s = suite_create("Q22");
	TCase *tc = tcase_create("Q22");

	/* pas de réserve ici : c'est celle des programmes lancés */
	tcase_add_checked_fixture(tc, NULL, fin_de_test);
	tcase_set_timeout(tc, 5);
	AJOUTE_TEST(tc, test_q22_programme_reel_precharge);
	AJOUTE_TEST(tc, test_q22_bench_precharge);
	suite_add_tcase(s, tc);
	return s;
}
