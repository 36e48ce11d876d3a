/*
 * check_q22.c : Q22, votre allocateur chargé par LD_PRELOAD dans de vrais
 * programmes (par l'enveloppe libmalloc_wrapper.so, fournie).
 *
 * Les programmes sont lancés avec HP_STATS=1 : le résumé que l'enveloppe
 * écrit à la fin dit si la réserve a vraiment servi.
 */
#define _GNU_SOURCE
#include "commun.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Délai d'un programme lancé ; celui du test (tcase_set_timeout) est plus long. */
#define DELAI_MS 2000

static const char *chemin(const char *variable, const char *defaut)
{
	const char *v = getenv(variable);

	return v != NULL && *v != '\0' ? v : defaut;
}

/* Lance argv avec l'allocateur préchargé, l'entrée et les sorties dans des
 * fichiers ; tué au bout de DELAI_MS (un allocateur qui boucle ne doit pas
 * laisser de processus derrière lui). Rend le statut de waitpid. */
static int lance_precharge(char *const argv[], const char *entree, const char *sortie,
			   const char *erreurs)
{
	const char *bibliotheque = chemin("HP_BIBLIOTHEQUE", "./libmalloc_wrapper.so");
	int statut = 0;
	pid_t pid;

	EXIGE(access(bibliotheque, R_OK) == 0, "bibliothèque %s introuvable (make libmalloc_wrapper.so)",
	      bibliotheque);
	pid = fork();
	EXIGE(pid >= 0, "fork impossible");
	if (pid == 0) {
		struct rlimit cpu = { 4, 4 }; /* filet si ce test est tué avant */

		setrlimit(RLIMIT_CPU, &cpu);
		if (freopen(entree, "r", stdin) == NULL || freopen(sortie, "w", stdout) == NULL
		    || freopen(erreurs, "w", stderr) == NULL)
			_exit(126);
		setenv("LD_PRELOAD", bibliotheque, 1);
		setenv("HP_STATS", "1", 1);
		setenv("LC_ALL", "C", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (int ms = 0; waitpid(pid, &statut, WNOHANG) == 0; ms += 10) {
		if (ms >= DELAI_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &statut, 0);
			ck_abort_msg("%s préchargé avec votre allocateur ne s'est pas terminé en %d ms "
				     "(boucle infinie dans la liste libre ?)", argv[0], DELAI_MS);
		}
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return statut;
}

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

/* Nombre de blocs servis par la réserve, lu dans le résumé de HP_STATS. */
static long blocs_servis(const char *erreurs)
{
	const char *s = strstr(lit_fichier(erreurs), "servis par la réserve ");

	return s != NULL ? strtol(s + strlen("servis par la réserve "), NULL, 10) : -1;
}

static void verifie_statut(int statut, const char *programme, const char *erreurs)
{
	if (WIFSIGNALED(statut))
		ck_abort_msg("%s préchargé avec votre allocateur : tué par le signal %d (%s)", programme,
			     WTERMSIG(statut), strsignal(WTERMSIG(statut)));
	EXIGE(WIFEXITED(statut) && WEXITSTATUS(statut) == 0,
	      "%s préchargé avec votre allocateur : code de sortie %d ; début de stderr : %.200s",
	      programme, WEXITSTATUS(statut), lit_fichier(erreurs));
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
	verifie_statut(lance_precharge(argv, entree, sortie, erreurs), "sort", erreurs);
	servis = blocs_servis(erreurs);
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
	char *argv[] = { (char *)chemin("HP_BENCH", "./bench"), "--max", "256K", "--repetitions", "1",
			 "--points", "1", NULL };
	const char *csv;
	int lignes = 0;

	EXIGE(mkdtemp(dossier) != NULL, "dossier temporaire impossible");
	snprintf(sortie, sizeof(sortie), "%s/sortie", dossier);
	snprintf(erreurs, sizeof(erreurs), "%s/erreurs", dossier);
	verifie_statut(lance_precharge(argv, "/dev/null", sortie, erreurs), argv[0], erreurs);
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
