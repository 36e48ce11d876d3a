/* commun.c : outils partagés par les suites de tests (voir commun.h). */
#define _GNU_SOURCE
#include "commun.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCS_FABRIQUES 16
#define TAILLE_MAX_FABRIQUEE 4096

/* Mémoire des blocs « fabriqués » : hors de la réserve, bien alignée. */
static _Alignas(ALIGNEMENT) unsigned char
	atelier[BLOCS_FABRIQUES][TAILLE_EN_TETE + TAILLE_MAX_FABRIQUEE];

void reserve_neuve(void)
{
	EXIGE(hp_init() == 0, "hp_init a échoué (voir le message ci-dessus)");
	libre = NULL;
}

void prepare_tests(void)
{
	/* Lus à la création des groupes de tests. Une réserve de 8 Mio suffit
	 * aux tests et rend « réserve pleine » rapide. */
	setenv("CK_DEFAULT_TIMEOUT", "2", 0);
	setenv("HP_RESERVE_MIO", "8", 0);
}

void lance_suites(Suite *const *suites, int n)
{
	SRunner *sr = srunner_create(suites[0]);
	int echecs;

	for (int i = 1; i < n; i++)
		srunner_add_suite(sr, suites[i]);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_ENV);
	echecs = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* _exit : les journaux sont écrits, aucun destructeur ni atexit venu du
	 * code testé ne s'exécute plus dans ce processus. */
	fflush(NULL);
	_exit(echecs == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

void fin_de_test(void)
{
	fflush(NULL);
	_exit(FIN_DE_TEST);
}

void reserve_rendue(void)
{
	hp_finalize();
	fin_de_test();
}

Suite *suite_question(const char *question, TCase **tc)
{
	Suite *s = suite_create(question);

	*tc = tcase_create(question);
	tcase_add_checked_fixture(*tc, reserve_neuve, reserve_rendue);
	suite_add_tcase(s, *tc);
	return s;
}

struct bloc *bloc_fabrique(int numero, size_t taille)
{
	struct bloc *b = (struct bloc *)atelier[numero];

	ck_assert(numero >= 0 && numero < BLOCS_FABRIQUES && taille <= TAILLE_MAX_FABRIQUEE);
	bloc_init(b, taille);
	return b;
}

void liste_libre(struct bloc **blocs, int n)
{
	libre = NULL;
	for (int i = n - 1; i >= 0; i--) {
		blocs[i]->suivant = libre;
		libre = blocs[i];
	}
}

void *donnees(struct bloc *bloc)
{
	return (char *)bloc + TAILLE_EN_TETE;
}

void verifie_bloc_rendu(const void *p, size_t taille, const char *contexte)
{
	uintptr_t debut = ADR(reserve.mem), fin = debut + reserve.taille;

	EXIGE(p != NULL, "%s : NULL obtenu, un pointeur attendu", contexte);
	EXIGE(ADR(p) % ALIGNEMENT == 0,
			"%s : adresse %p non alignée sur %d octets", contexte, p, ALIGNEMENT);
	EXIGE(ADR(p) >= debut + TAILLE_EN_TETE && ADR(p) + taille <= fin,
			"%s : le bloc [%p, +%zu) et son en-tête ne sont pas dans la réserve [%p, +%zu)",
			contexte, p, taille, reserve.mem, reserve.taille);
}

int longueur_liste_libre(void)
{
	int n = 0;

	for (struct bloc *b = libre; b != NULL; b = b->suivant)
		EXIGE(++n <= 1000000, "la liste libre boucle (un cycle ?)");
	return n;
}

static unsigned char octet_motif(size_t i, unsigned graine)
{
	return (unsigned char)((i * 131u + graine * 7919u) >> 3 ^ graine);
}

void remplit(void *p, size_t taille, unsigned graine)
{
	unsigned char *o = p;

	for (size_t i = 0; i < taille; i++)
		o[i] = octet_motif(i, graine);
}

size_t premier_octet_modifie(const void *p, size_t taille, unsigned graine)
{
	const unsigned char *o = p;

	for (size_t i = 0; i < taille; i++)
		if (o[i] != octet_motif(i, graine))
			return i;
	return taille;
}

const char *bibliotheque_prechargee(void)
{
	const char *v = getenv("HP_BIBLIOTHEQUE");

	return v != NULL && *v != '\0' ? v : "./libmalloc_wrapper.so";
}

/* Dans le fils : limites, fichiers, environnement, puis le programme. */
static void execute(char *const argv[], const char *entree, const char *sortie,
		    const char *erreurs, int precharge, int delai_ms)
{
	struct rlimit cpu = { (rlim_t)delai_ms / 1000 + 1, (rlim_t)delai_ms / 1000 + 1 };

	setrlimit(RLIMIT_CPU, &cpu);
	alarm((unsigned)(delai_ms / 1000 + 2)); /* survit à exec : filet si ce test est tué avant */
	if (freopen(entree, "r", stdin) == NULL || freopen(sortie, "w", stdout) == NULL
	    || freopen(erreurs, "w", stderr) == NULL)
		_exit(126);
	setenv("LC_ALL", "C", 1);
	if (precharge) {
		setenv("LD_PRELOAD", bibliotheque_prechargee(), 1);
		setenv("HP_STATS", "1", 1);
	} else {
		unsetenv("LD_PRELOAD");
		unsetenv("HP_STATS");
	}
	execvp(argv[0], argv);
	_exit(127);
}

int lance_programme(char *const argv[], const char *entree, const char *sortie,
		    const char *erreurs, int precharge, int delai_ms)
{
	int statut = 0;
	pid_t pid;

	EXIGE(!precharge || access(bibliotheque_prechargee(), R_OK) == 0,
	      "bibliothèque %s introuvable (make libmalloc_wrapper.so)", bibliotheque_prechargee());
	fflush(NULL);
	pid = fork();
	EXIGE(pid >= 0, "fork impossible");
	if (pid == 0)
		execute(argv, entree, sortie, erreurs, precharge, delai_ms);
	for (int ms = 0; waitpid(pid, &statut, WNOHANG) == 0; ms += 5) {
		if (ms >= delai_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &statut, 0);
			return -1;
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	return statut;
}

long blocs_servis(const char *erreurs, int *resumes)
{
	static const char motif[] = "servis par la réserve ";
	FILE *f = fopen(erreurs, "r");
	char *ligne = NULL;
	size_t capacite = 0;
	long total = 0;

	*resumes = 0;
	if (f == NULL)
		return 0;
	while (getline(&ligne, &capacite, f) >= 0) {
		const char *s = strstr(ligne, motif);

		if (s != NULL) {
			total += strtol(s + strlen(motif), NULL, 10);
			(*resumes)++;
		}
	}
	free(ligne);
	fclose(f);
	return total;
}
