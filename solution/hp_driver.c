/*
 * hp_driver.c : rejoue des traces d'allocation (format du malloclab de
 * CS:APP) avec le malloc du processus (la libc, ou celui que LD_PRELOAD
 * apporte), vérifie chaque opération et mesure débit et utilisation.
 *
 *   ./hp_driver traces/petits_objets.rep traces/binaire.rep
 *   LD_PRELOAD=./libmalloc_wrapper.so ./hp_driver traces/aleatoire.rep
 *
 * Format d'une trace : quatre nombres d'en-tête (taille de tas suggérée,
 * nombre d'identifiants, nombre d'opérations, poids), puis une opération par
 * ligne : « a id taille » (malloc), « r id taille » (realloc), « f id » (free).
 *
 * Une passe vérifiée d'abord, à chaque opération : alignement, bloc
 * hors de tout bloc vivant, données d'un bloc intactes jusqu'à sa libération,
 * realloc qui garde les octets de la plus petite des deux tailles.
 * Utilisation (pendant cette passe, qui écrit chaque octet demandé) : pic des
 * octets demandés vivants / pic de mémoire résidente prise au système.
 * Débit ensuite : les mêmes opérations sans vérification ni écriture, comme
 * le mdriver du malloclab, meilleur de PASSES passes.
 *
 * Chaque trace est rejouée dans un processus à elle (fork) : la mémoire
 * gardée par l'allocateur après une trace ne fausse pas l'utilisation de la
 * suivante, et un allocateur qui plante ne coûte que la trace en cours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Alignement exigé, comme la norme C (C17, 7.22.3) : celui de tout objet
 * qui tient dans la taille demandée, soit 16 à partir de 16 octets, mais 8
 * pour une demande de 8 (mimalloc rend alors des adresses multiples de 8). */
#define ALIGNEMENT_MAX 16
#define PASSES 5

struct operation {
	char type;     /* 'a', 'r' ou 'f' */
	int id;
	size_t taille;
	int ligne;     /* dans le fichier, pour les messages */
};

struct trace {
	const char *nom;
	struct operation *ops;
	int nb_ops, nb_ids;
};

/* Un bloc vivant, et son nœud dans l'arbre des blocs vivants rangés par
 * adresse (un treap : arbre binaire de recherche équilibré au hasard). */
struct bloc_vivant {
	unsigned char *p;
	size_t taille;
	int ligne;           /* de la dernière opération sur ce bloc */
	int gauche, droite;  /* identifiants des fils, -1 si aucun */
	unsigned priorite;
};

/* ------------------------------------------------------------------------ */
/* Lecture                                                                  */
/* ------------------------------------------------------------------------ */

static int erreur_trace(const char *nom, int ligne, const char *message, const char *texte)
{
	if (texte[0] != '\0')
		fprintf(stderr, "hp_driver : %s, ligne %d : %s « %s »\n", nom, ligne, message, texte);
	else
		fprintf(stderr, "hp_driver : %s, ligne %d : %s\n", nom, ligne, message);
	return -1;
}

/* vivant[id] : le bloc id est alloué à ce point de la trace. Allouer un
 * identifiant encore vivant est une faute de la trace, pas de l'allocateur. */
static int lit_operation(struct trace *t, char *vivant, const char *texte, int ligne)
{
	struct operation *op = &t->ops[t->nb_ops];
	char type, reste[2];
	int n = 0;
	long id;
	long long taille = 0;

	if (sscanf(texte, " %c %ld %n", &type, &id, &n) < 2 || (type != 'a' && type != 'r' && type != 'f'))
		return erreur_trace(t->nom, ligne, "opération illisible (attendu : a id taille, r id taille ou f id) :", texte);
	if (type != 'f' && (sscanf(texte + n, "%lld %1s", &taille, reste) != 1 || taille < 0))
		return erreur_trace(t->nom, ligne, "taille manquante ou invalide :", texte);
	if (type == 'f' && sscanf(texte + n, "%1s", reste) == 1)
		return erreur_trace(t->nom, ligne, "« f » ne prend qu'un identifiant :", texte);
	if (id < 0 || id >= t->nb_ids)
		return erreur_trace(t->nom, ligne, "identifiant hors des bornes de l'en-tête :", texte);
	if (type == 'a' && vivant[id])
		return erreur_trace(t->nom, ligne, "identifiant déjà alloué et pas encore libéré :", texte);
	vivant[id] = type != 'f';
	*op = (struct operation){ type, (int)id, (size_t)taille, ligne };
	t->nb_ops++;
	return 0;
}

static int lit_entete(FILE *f, const char *nom, long entete[4], int *ligne)
{
	char texte[256];

	for (int i = 0; i < 4; i++) {
		++*ligne;
		if (fgets(texte, sizeof(texte), f) == NULL)
			return erreur_trace(nom, *ligne, "en-tête incomplet (quatre nombres attendus)", "");
		texte[strcspn(texte, "\r\n")] = '\0';
		if (sscanf(texte, "%ld", &entete[i]) != 1 || entete[i] < 0 || entete[i] > 100000000)
			return erreur_trace(nom, *ligne, "en-tête illisible (quatre nombres attendus) :", texte);
	}
	return 0;
}

/* Lit une trace entière ; 0, ou -1 avec un message nommant fichier et ligne. */
static int lit_trace(const char *nom, struct trace *t)
{
	char texte[256];
	long entete[4];
	int ligne = 0, annonces, signalee = 0;
	char *vivant;
	FILE *f = fopen(nom, "r");
	struct stat st;

	*t = (struct trace){ .nom = nom };
	if (f == NULL || fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hp_driver : %s : %s\n", nom,
			f != NULL ? "c'est un dossier, pas une trace"
			: errno == ENOENT ? "trace introuvable"
			: errno == EACCES ? "lecture interdite (permission refusée)" : strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if (lit_entete(f, nom, entete, &ligne) != 0) {
		fclose(f);
		return -1;
	}
	t->nb_ids = (int)entete[1];
	annonces = (int)entete[2];
	t->ops = calloc((size_t)annonces + 1, sizeof(*t->ops));
	vivant = calloc((size_t)t->nb_ids + 1, 1);
	if (vivant == NULL) {
		free(t->ops);
		t->ops = NULL;
	}
	while (t->ops != NULL && !signalee && fgets(texte, sizeof(texte), f) != NULL) {
		ligne++;
		texte[strcspn(texte, "\r\n")] = '\0';
		if (texte[strspn(texte, " \t")] == '\0')
			continue;
		if (t->nb_ops == annonces)
			signalee = erreur_trace(nom, ligne, "plus d'opérations que l'en-tête n'en annonce :", texte);
		else
			signalee = lit_operation(t, vivant, texte, ligne);
	}
	fclose(f);
	free(vivant);
	if (t->ops == NULL)
		fprintf(stderr, "hp_driver : %s : mémoire insuffisante pour %d opérations\n", nom, annonces);
	else if (!signalee && t->nb_ops != annonces)
		fprintf(stderr, "hp_driver : %s : %d opérations lues, %d annoncées par l'en-tête\n", nom,
			t->nb_ops, annonces);
	return t->ops != NULL && !signalee && t->nb_ops == annonces ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* L'arbre des blocs vivants : trouver en O(log n) si un bloc en chevauche  */
/* un autre.                                                                */
/* ------------------------------------------------------------------------ */

static struct bloc_vivant *vivants;
static int racine = -1;

static int fusionne(int a, int b)
{
	if (a < 0 || b < 0)
		return a < 0 ? b : a;
	if (vivants[a].priorite > vivants[b].priorite) {
		vivants[a].droite = fusionne(vivants[a].droite, b);
		return a;
	}
	vivants[b].gauche = fusionne(a, vivants[b].gauche);
	return b;
}

/* Coupe l'arbre n en deux : adresses < p à gauche, >= p à droite. */
static void coupe(int n, const unsigned char *p, int *g, int *d)
{
	if (n < 0) {
		*g = *d = -1;
	} else if (vivants[n].p < p) {
		coupe(vivants[n].droite, p, &vivants[n].droite, d);
		*g = n;
	} else {
		coupe(vivants[n].gauche, p, g, &vivants[n].gauche);
		*d = n;
	}
}

static void insere(int id)
{
	int g, d;

	vivants[id].gauche = vivants[id].droite = -1;
	vivants[id].priorite = (unsigned)rand();
	coupe(racine, vivants[id].p, &g, &d);
	racine = fusionne(fusionne(g, id), d);
}

static void retire(int id)
{
	int g, milieu, d;

	coupe(racine, vivants[id].p, &g, &milieu);
	coupe(milieu, vivants[id].p + 1, &milieu, &d);
	racine = fusionne(g, d);
}

/* Le bloc vivant d'adresse la plus grande qui soit < p, ou -1. Les blocs
 * vivants étant disjoints, [q, q+n) chevauche un bloc vivant si et seulement
 * s'il chevauche celui-là, pour p = q + n. */
static int precedent(const unsigned char *p)
{
	int n = racine, trouve = -1;

	while (n >= 0) {
		if (vivants[n].p < p) {
			trouve = n;
			n = vivants[n].droite;
		} else {
			n = vivants[n].gauche;
		}
	}
	return trouve;
}

/* ------------------------------------------------------------------------ */
/* Vérification                                                             */
/* ------------------------------------------------------------------------ */

static unsigned char octet(int id, size_t i)
{
	return (unsigned char)((unsigned)id * 31u + (unsigned)(i / 8) * 7u + (unsigned)i + 1u);
}

static void remplit(struct bloc_vivant *b, int id, size_t debut)
{
	for (size_t i = debut; i < b->taille; i++)
		b->p[i] = octet(id, i);
}

/* Premier octet modifié de b (jusqu'à n), ou n. */
static size_t intact(const struct bloc_vivant *b, int id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b->p[i] != octet(id, i))
			return i;
	return n;
}

static int echec(const struct trace *t, const struct operation *op, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int echec(const struct trace *t, const struct operation *op, const char *format, ...)
{
	va_list args;

	fprintf(stderr, "hp_driver : %s, ligne %d (%c %d) : FAUX : ", t->nom, op->ligne, op->type, op->id);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, "\n");
	return -1;
}

static size_t alignement_exige(size_t n)
{
	size_t a = 1;

	while (a < ALIGNEMENT_MAX && 2 * a <= n)
		a *= 2;
	return a;
}

/* Le bloc p de taille n est aligné et ne touche aucun autre bloc vivant. */
static int verifie_place(const struct trace *t, const struct operation *op, unsigned char *p, size_t n)
{
	int j;

	if (p == NULL)
		return echec(t, op, "NULL rendu pour %zu octets", n);
	if ((uintptr_t)p % alignement_exige(n) != 0)
		return echec(t, op, "adresse %p non alignée sur %zu octets", (void *)p, alignement_exige(n));
	j = precedent(p + (n > 0 ? n : 1));
	if (j >= 0 && vivants[j].p + (vivants[j].taille > 0 ? vivants[j].taille : 1) > p)
		return echec(t, op, "le bloc [%p, +%zu) chevauche le bloc vivant %d [%p, +%zu)",
			     (void *)p, n, j, (void *)vivants[j].p, vivants[j].taille);
	return 0;
}

/* Libère (free) ou remplace (malloc, realloc) le bloc de op et vérifie. */
static int verifie_operation(const struct trace *t, const struct operation *op)
{
	struct bloc_vivant *b = &vivants[op->id];
	size_t ancienne = b->p != NULL ? b->taille : 0, garde;
	unsigned char *p;

	if (b->p != NULL && (garde = intact(b, op->id, b->taille)) != b->taille)
		return echec(t, op, "données du bloc %d écrasées (octet %zu) entre la ligne %d et celle-ci, "
			     "alors qu'il était vivant", op->id, garde, b->ligne);
	if (b->p != NULL)
		retire(op->id);
	if (op->type == 'f') {
		free(b->p);
		b->p = NULL;
		return 0;
	}
	p = op->type == 'a' ? malloc(op->taille) : realloc(b->p, op->taille);
	b->p = NULL;
	if (p == NULL && op->taille == 0)
		return 0; /* malloc(0) peut rendre NULL ; realloc(p, 0) libère p (glibc) */
	if (verifie_place(t, op, p, op->taille) != 0)
		return -1;
	b->p = p;
	b->taille = op->taille;
	b->ligne = op->ligne;
	garde = ancienne < op->taille ? ancienne : op->taille;
	if (op->type == 'r' && intact(b, op->id, garde) != garde)
		return echec(t, op, "realloc a perdu l'octet %zu sur %zu à garder (la plus petite des deux tailles)",
			     intact(b, op->id, garde), garde);
	remplit(b, op->id, op->type == 'r' ? garde : 0);
	insere(op->id);
	return 0;
}

/* Champ « nom: valeur kB » de /proc/self/status, en octets (0 si absent). */
static size_t statut(const char *nom)
{
	char ligne[256];
	size_t valeur = 0, n = strlen(nom);
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(ligne, sizeof(ligne), f) != NULL)
		if (strncmp(ligne, nom, n) == 0 && ligne[n] == ':')
			valeur = strtoull(ligne + n + 1, NULL, 10) * 1024;
	if (f != NULL)
		fclose(f);
	return valeur;
}

/* Remet à zéro le pic de mémoire résidente (VmHWM) ; 0 si le noyau l'a fait. */
static int remet_pic_a_zero(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	int ok = f != NULL && fputs("5", f) >= 0;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Passe vérifiée : 0 si tout est juste ; *utilisation en %, négative si le
 * noyau ne sait pas mesurer le pic. */
static int passe_verifiee(const struct trace *t, double *utilisation)
{
	size_t base, pic_systeme = 0, vivant = 0, pic_vivant = 0;
	int code = 0, mesurable;

	vivants = calloc((size_t)t->nb_ids, sizeof(*vivants));
	if (vivants == NULL) {
		fprintf(stderr, "hp_driver : %s : mémoire insuffisante pour le driver\n", t->nom);
		return -1;
	}
	racine = -1;
	srand(1);
	memset(vivants, 0, (size_t)t->nb_ids * sizeof(*vivants)); /* résidente avant la mesure */
	mesurable = remet_pic_a_zero() == 0;
	base = statut("VmRSS");
	for (int i = 0; i < t->nb_ops && code == 0; i++) {
		const struct operation *op = &t->ops[i];

		vivant -= vivants[op->id].p != NULL ? vivants[op->id].taille : 0;
		code = verifie_operation(t, op);
		vivant += vivants[op->id].p != NULL ? vivants[op->id].taille : 0;
		pic_vivant = vivant > pic_vivant ? vivant : pic_vivant;
	}
	pic_systeme = statut("VmHWM");
	*utilisation = !mesurable ? -1.0
		: pic_systeme > base ? 100.0 * (double)pic_vivant / (double)(pic_systeme - base) : 100.0;
	if (*utilisation > 100.0)
		*utilisation = 100.0;
	for (int j = 0; code == 0 && j < t->nb_ids; j++)
		free(vivants[j].p);
	free(vivants);
	return code;
}

/* ------------------------------------------------------------------------ */
/* Débit                                                                    */
/* ------------------------------------------------------------------------ */

static double passe_chronometree(const struct trace *t, void **ptr)
{
	struct timespec debut, fin;

	clock_gettime(CLOCK_MONOTONIC, &debut);
	for (int i = 0; i < t->nb_ops; i++) {
		const struct operation *op = &t->ops[i];

		if (op->type == 'a')
			ptr[op->id] = malloc(op->taille);
		else if (op->type == 'r')
			ptr[op->id] = realloc(ptr[op->id], op->taille);
		else {
			free(ptr[op->id]);
			ptr[op->id] = NULL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &fin);
	for (int j = 0; j < t->nb_ids; j++) {
		free(ptr[j]);
		ptr[j] = NULL;
	}
	return (double)(fin.tv_sec - debut.tv_sec) + (double)(fin.tv_nsec - debut.tv_nsec) / 1e9;
}

static double debit(const struct trace *t)
{
	void **ptr = calloc((size_t)t->nb_ids, sizeof(*ptr));
	double meilleur = 1e30;

	for (int k = 0; ptr != NULL && k < PASSES; k++) {
		double s = passe_chronometree(t, ptr);

		meilleur = s < meilleur ? s : meilleur;
	}
	free(ptr);
	return meilleur > 0 && meilleur < 1e30 ? t->nb_ops / meilleur : 0;
}

/* ------------------------------------------------------------------------ */

static void usage(FILE *f, const char *programme)
{
	fprintf(f,
		"Usage : %s [--csv] trace.rep [trace.rep …]\n"
		"Rejoue chaque trace avec le malloc du processus (LD_PRELOAD pour en changer),\n"
		"vérifie chaque opération, puis affiche débit et utilisation.\n"
		"Code de sortie : 0 si tout est juste, 1 si l'allocateur se trompe (ou plante)\n"
		"sur une trace, 2 si une trace est illisible.\n", programme);
}

/* Rejoue une trace ; 0 juste, 1 faux, 2 illisible. */
static int rejoue(const char *nom, int csv)
{
	struct trace t;
	double utilisation = 0, ops = 0;
	int juste;

	if (lit_trace(nom, &t) != 0) {
		free(t.ops);
		return 2;
	}
	juste = passe_verifiee(&t, &utilisation) == 0;
	if (juste)
		ops = debit(&t);
	if (csv)
		printf("%s,%s,%d,%.0f,%.1f\n", nom, juste ? "oui" : "non", t.nb_ops, ops, utilisation);
	else if (juste && utilisation >= 0)
		printf("%s : correct, %d opérations, %.2f millions d'op/s, utilisation %.0f %%\n", nom,
		       t.nb_ops, ops / 1e6, utilisation);
	else if (juste)
		printf("%s : correct, %d opérations, %.2f millions d'op/s (utilisation non mesurable ici)\n",
		       nom, t.nb_ops, ops / 1e6);
	else
		printf("%s : FAUX (détail ci-dessus)\n", nom);
	fflush(stdout);
	free(t.ops);
	return juste ? 0 : 1;
}

/* Rejoue la trace dans un processus fils ; un fils tué par un signal (un
 * allocateur qui plante) est signalé et compte comme une trace fausse. */
static int rejoue_a_part(const char *nom, int csv)
{
	int statut;
	pid_t fils;

	fflush(stdout);
	fils = fork();
	if (fils == 0)
		_exit(rejoue(nom, csv));
	if (fils < 0 || waitpid(fils, &statut, 0) != fils) {
		fprintf(stderr, "hp_driver : %s : impossible de lancer le rejeu (%s)\n", nom, strerror(errno));
		return 2;
	}
	if (WIFEXITED(statut))
		return WEXITSTATUS(statut);
	fprintf(stderr, "hp_driver : %s : le rejeu a planté (signal %d)\n", nom, WTERMSIG(statut));
	if (csv)
		printf("%s,non,0,0,-1.0\n", nom);
	else
		printf("%s : FAUX (plantage, signal %d)\n", nom, WTERMSIG(statut));
	return 1;
}

int main(int argc, char **argv)
{
	int csv = 0, nb_traces = 0, code = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else if (strcmp(argv[i], "--csv") == 0) {
			csv = 1;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "hp_driver : option inconnue : %s\n", argv[i]);
			usage(stderr, argv[0]);
			return 2;
		} else {
			nb_traces++;
		}
	}
	if (nb_traces == 0) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (csv)
		printf("trace,correct,operations,debit_ops_par_s,utilisation_pourcent\n");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--csv") != 0) {
			int r = rejoue_a_part(argv[i], csv);

			code = r > code ? r : code;
		}
	}
	return code;
}
