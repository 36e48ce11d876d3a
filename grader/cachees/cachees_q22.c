/*
 * cachees_q22.c : tests cachés de la Q22, l'allocateur préchargé
 * (LD_PRELOAD de libmalloc_wrapper.so) dans de vrais programmes : ls, python3
 * et perl. Chaque programme est lancé deux fois dans le même test, sans puis
 * avec l'allocateur : les deux sorties doivent être identiques octet pour
 * octet, et le résumé de HP_STATS=1 doit montrer que la réserve a servi.
 *
 * La bibliothèque est HP_BIBLIOTHEQUE (par défaut ./libmalloc_wrapper.so,
 * relatif au dossier courant : lancer les tests depuis la racine du projet).
 */
#define _GNU_SOURCE
#include "cachees.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Délai d'un programme lancé ; celui du groupe de tests (8 s) couvre les
 * deux lancements d'un test. */
#define DELAI_MS 2000

/* Le programme à son emplacement habituel, sinon cherché dans le PATH. */
static char *programme(const char *absolu, const char *nom)
{
	return (char *)(access(absolu, X_OK) == 0 ? absolu : nom);
}

/* Le dossier temporaire du test et ses fichiers, effacés à la fin du test,
 * qu'il réussisse ou non : un échec passe par ECHOUE, qui nettoie avant
 * d'appeler ck_abort_msg (qui termine le processus sans atexit). */
static char dossier[] = "/tmp/q22c_XXXXXX", ref[64], ref_err[64], sortie[64], erreurs[64];
static char message[1500];

static void nettoie(void)
{
	remove(ref);
	remove(ref_err);
	remove(sortie);
	remove(erreurs);
	rmdir(dossier);
}

#define ECHOUE(...) \
	do { \
		snprintf(message, sizeof(message), __VA_ARGS__); \
		nettoie(); \
		ck_abort_msg("%s", message); \
	} while (0)
#define EXIGE_SINON_ECHOUE(condition, ...) \
	do { \
		if (!(condition)) \
			ECHOUE(__VA_ARGS__); \
	} while (0)

/* lance_programme (tests/commun.c), et un message clair si le délai passe. */
static int lance(char *const argv[], const char *sortie, const char *erreurs, int precharge)
{
	int statut = lance_programme(argv, "/dev/null", sortie, erreurs, precharge, DELAI_MS);

	if (statut == -1 && precharge)
		ECHOUE("%s préchargé avec votre allocateur ne s'est pas terminé en %d ms, "
		       "alors qu'il lui faut bien moins sans lui : boucle infinie dans la "
		       "liste libre ? opération en O(n) (insertion en queue ?) ? programme "
		       "bloqué par un exit() dans __hp_malloc ?", argv[0], DELAI_MS);
	if (statut == -1)
		ECHOUE("%s SANS votre allocateur ne s'est pas terminé en %d ms : machine de "
		       "correction trop lente ?", argv[0], DELAI_MS);
	return statut;
}

/* Tout le fichier, terminé par '\0' (libéré par l'appelant). */
static char *lit_tout(const char *nom, size_t *taille)
{
	FILE *f = fopen(nom, "rb");
	char *texte = NULL;
	size_t n = 0, capacite = 0;

	if (f != NULL) {
		for (;;) {
			if (capacite - n < 65536) {
				char *plus = realloc(texte, capacite = 2 * capacite + 65536);

				EXIGE(plus != NULL, "mémoire épuisée en lisant %s", nom);
				texte = plus;
			}
			size_t lu = fread(texte + n, 1, capacite - n - 1, f);

			n += lu;
			if (lu == 0)
				break;
		}
		fclose(f);
	}
	if (texte == NULL)
		texte = calloc(1, 1);
	EXIGE(texte != NULL, "mémoire épuisée");
	texte[n] = '\0';
	*taille = n;
	return texte;
}

/* Le début de la ligne qui contient texte[i], pour un message. */
static const char *ligne_de(const char *texte, size_t i, char *tampon, size_t taille)
{
	size_t debut = i, fin = i;

	while (debut > 0 && texte[debut - 1] != '\n')
		debut--;
	while (texte[fin] != '\0' && texte[fin] != '\n' && fin - debut < taille - 1)
		fin++;
	memcpy(tampon, texte + debut, fin - debut);
	tampon[fin - debut] = '\0';
	return tampon;
}

/* Lance le programme sans puis avec l'allocateur, et compare. */
static void compare_precharge(char *const argv[], const char *nom)
{
	char a[128], o[128];
	char *attendu, *obtenu;
	size_t n_attendu, n_obtenu, i, ligne = 1;
	int statut, resumes;
	long servis;

	EXIGE(mkdtemp(dossier) != NULL, "dossier temporaire impossible");
	snprintf(ref, sizeof(ref), "%s/ref", dossier);
	snprintf(ref_err, sizeof(ref_err), "%s/ref_err", dossier);
	snprintf(sortie, sizeof(sortie), "%s/sortie", dossier);
	snprintf(erreurs, sizeof(erreurs), "%s/erreurs", dossier);

	statut = lance(argv, ref, ref_err, 0);
	EXIGE_SINON_ECHOUE(WIFEXITED(statut) && WEXITSTATUS(statut) == 0, "%s SANS votre "
			   "allocateur a échoué (statut %d) : programme absent de la machine de "
			   "correction ?", nom, statut);
	statut = lance(argv, sortie, erreurs, 1);
	if (WIFSIGNALED(statut) && (WTERMSIG(statut) == SIGXCPU || WTERMSIG(statut) == SIGKILL
				    || WTERMSIG(statut) == SIGALRM))
		ECHOUE("%s préchargé avec votre allocateur : arrêté par la limite de temps (boucle "
		       "infinie ? allocateur beaucoup trop lent ?)", nom);
	if (WIFSIGNALED(statut))
		ECHOUE("%s préchargé avec votre allocateur : tué par le signal %d (%s) ; un bloc "
		       "mal aligné, trop petit ou distribué deux fois ?", nom,
		       WTERMSIG(statut), strsignal(WTERMSIG(statut)));
	if (!WIFEXITED(statut) || WEXITSTATUS(statut) != 0) {
		size_t n;
		char *e = lit_tout(erreurs, &n);

		ECHOUE("%s préchargé avec votre allocateur : code de sortie %d au lieu de 0 ; "
		       "début de stderr : %.200s", nom, WEXITSTATUS(statut), e);
	}
	attendu = lit_tout(ref, &n_attendu);
	obtenu = lit_tout(sortie, &n_obtenu);
	EXIGE_SINON_ECHOUE(n_attendu > 0, "%s SANS votre allocateur n'a rien écrit : machine de "
			   "correction ?", nom);
	for (i = 0; i < n_attendu && i < n_obtenu && attendu[i] == obtenu[i]; i++)
		if (attendu[i] == '\n')
			ligne++;
	if (i < n_attendu || i < n_obtenu)
		ECHOUE("%s préchargé avec votre allocateur : sa sortie diffère de celle obtenue "
		       "sans lui à la ligne %zu (des données écrasées ?) : « %s » attendu, « %s » "
		       "obtenu (%zu octets attendus en tout, %zu obtenus)", nom, ligne,
		       ligne_de(attendu, i < n_attendu ? i : n_attendu, a, sizeof(a)),
		       ligne_de(obtenu, i < n_obtenu ? i : n_obtenu, o, sizeof(o)), n_attendu, n_obtenu);
	servis = blocs_servis(erreurs, &resumes);
	EXIGE_SINON_ECHOUE(resumes > 0, "%s préchargé : aucun résumé de HP_STATS=1 sur stderr : la "
			   "bibliothèque %s a-t-elle été chargée ?", nom, bibliotheque_prechargee());
	EXIGE_SINON_ECHOUE(servis > 0, "%s préchargé : sortie correcte, mais la réserve n'a servi "
			   "aucun bloc (tout est passé par la libc) : __hp_malloc rend-il NULL ?", nom);
	free(attendu);
	free(obtenu);
	nettoie();
}

START_TEST(test_cache_q22_ls_recursif)
{
	struct stat st;
	char *repertoire = stat("/usr/include/linux", &st) == 0 && S_ISDIR(st.st_mode)
			   ? "/usr/include/linux" : "/usr/include";
	char *argv[] = { programme("/usr/bin/ls", "ls"), "-lR", repertoire, NULL };

	compare_precharge(argv, "ls -lR");
}
END_TEST

/* Un dictionnaire qui grandit, perd un tiers de ses clés, puis est trié ;
 * des chaînes de plus de 512 octets (hors de l'allocateur interne de Python,
 * donc servies par malloc). La réserve de 8 Mio ne se remplit pas. */
static char script_python[] =
	"d = {}\n"
	"for i in range(12000):\n"
	"    d['cle%d' % (i * 7919 % 100003)] = ('v%d;' % i) * (i % 150)\n"
	"for i in range(0, 12000, 3):\n"
	"    del d['cle%d' % (i * 7919 % 100003)]\n"
	"l = []\n"
	"for k, v in d.items():\n"
	"    l.append(v[:700] + k)\n"
	"    if len(l) > 500:\n"
	"        l = l[250:]\n"
	"t = sorted(d.items(), key=lambda kv: (len(kv[1]), kv[0]))\n"
	"print(len(d), sum(len(v) for k, v in t), len(''.join(l)), t[0][0], t[-1][0])\n"
	"print(','.join(k for k, v in t[:12]))\n"
	"print(sum(len(v) for k, v in t[::7]), max(d, key=lambda k: (len(d[k]), k)))\n";

START_TEST(test_cache_q22_python_dictionnaire)
{
	char *argv[] = { programme("/usr/bin/python3", "python3"), "-I", "-c", script_python, NULL };

	compare_precharge(argv, "python3 (dictionnaire)");
}
END_TEST

/* Une table de hachage qui grandit, perd un tiers de ses clés, puis est
 * triée ; un tableau découpé (splice) et une chaîne qui grandit (realloc).
 * Tailles choisies pour ne pas remplir la réserve de 8 Mio. */
static char script_perl[] =
	"my %h;\n"
	"for my $i (1..4000) { $h{'k' . ($i * 7919 % 100003)} = \"v$i;\" x ($i % 60); }\n"
	"for my $i (grep { $_ % 3 == 0 } 1..4000) { delete $h{'k' . ($i * 7919 % 100003)}; }\n"
	"my $s = 0; $s += length($h{$_}) for keys %h;\n"
	"my @k = sort { length($h{$a}) <=> length($h{$b}) or $a cmp $b } keys %h;\n"
	"my @l = map { substr($h{$_}, 0, 50) . $_ } @k[0..999];\n"
	"my @a; push @a, \"w$_\" x ($_ % 97) for 1..3000; splice(@a, 100, 1000);\n"
	"my $c = ''; $c .= $_ for @a;\n"
	"print scalar(keys %h), \" $s $k[0] $k[-1] \", length(join('', @l)), ' ', length($c), \"\\n\";\n"
	"print join(',', @k[0..11]), \"\\n\";\n";

START_TEST(test_cache_q22_perl_hachage)
{
	char *argv[] = { programme("/usr/bin/perl", "perl"), "-e", script_perl, NULL };

	compare_precharge(argv, "perl (table de hachage)");
}
END_TEST

Suite *suite_cachee_q22(void)
{
	Suite *s = suite_create("Q22");
	TCase *tc = tcase_create("Q22");

	/* pas de réserve ici : c'est celle des programmes lancés ; fin_de_test
	 * termine chaque test par exit(FIN_DE_TEST), seul signe de réussite */
	tcase_add_checked_fixture(tc, NULL, fin_de_test);
	tcase_set_timeout(tc, 8);
	AJOUTE_TEST(tc, test_cache_q22_ls_recursif);
	AJOUTE_TEST(tc, test_cache_q22_python_dictionnaire);
	AJOUTE_TEST(tc, test_cache_q22_perl_hachage);
	suite_add_tcase(s, tc);
	return s;
}
