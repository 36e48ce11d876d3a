/*
 * bench_main.c : le programme de mesure. Fait varier la taille du tampon,
 * mesure chaque point plusieurs fois (médiane) et écrit le CSV sur stdout ;
 * la progression et les messages vont sur stderr.
 *
 * Compilé trois fois (voir le Makefile) :
 *   bench_malloc  tampon obtenu par malloc ;
 *   bench_huge    tampon obtenu par hp_malloc (huge pages si possible) ;
 *   bench         tampon obtenu par malloc, pour LD_PRELOAD.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp_allocator.h"

#ifdef ALLOCATION_HP
#define NOM_ALLOCATION "hp_malloc"
#elif defined(ALLOCATION_PRELOAD)
#define NOM_ALLOCATION "malloc (LD_PRELOAD possible)"
#else
#define NOM_ALLOCATION "malloc"
#endif

#define MAX_POINTS 512
#define GRAINE 2025

struct options {
	enum mode_bench mode;
	size_t min, max;
	int repetitions;
	int par_octave;
	size_t acces_min; /* lectures par mesure, au moins */
	int cpu;          /* cœur où s'épingler, ou -1 */
};

struct caches {
	size_t l1, l2, l3;
};

static const char *const NOMS_MODES[] = { "chase", "stride", "tlb" };

/* ------------------------------------------------------------------------ */
/* La machine                                                               */
/* ------------------------------------------------------------------------ */

static size_t lit_taille_sysfs(const char *chemin)
{
	size_t n = 0;
	char unite = 0;
	FILE *f = fopen(chemin, "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%zu%c", &n, &unite) < 1)
		n = 0;
	fclose(f);
	return unite == 'K' ? n << 10 : unite == 'M' ? n << 20 : n;
}

/* Tailles des caches de données du cœur 0, lues dans sysfs (0 si absent). */
static struct caches lit_caches(void)
{
	struct caches c = { 0, 0, 0 };
	char chemin[128], type[32];

	for (int i = 0; i < 8; i++) {
		int niveau = 0;
		FILE *f;

		snprintf(chemin, sizeof(chemin), "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
		f = fopen(chemin, "r");
		if (f == NULL)
			break;
		if (fscanf(f, "%d", &niveau) != 1)
			niveau = 0;
		fclose(f);
		snprintf(chemin, sizeof(chemin), "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
		f = fopen(chemin, "r");
		if (f == NULL || fscanf(f, "%31s", type) != 1)
			strcpy(type, "?");
		if (f != NULL)
			fclose(f);
		if (strcmp(type, "Instruction") == 0)
			continue;
		snprintf(chemin, sizeof(chemin), "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		if (niveau == 1)
			c.l1 = lit_taille_sysfs(chemin);
		else if (niveau == 2)
			c.l2 = lit_taille_sysfs(chemin);
		else if (niveau == 3)
			c.l3 = lit_taille_sysfs(chemin);
	}
	return c;
}

static void nom_processeur(char *nom, size_t n)
{
	char ligne[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(nom, n, "inconnu");
	if (f == NULL)
		return;
	while (fgets(ligne, sizeof(ligne), f) != NULL) {
		char *deux_points = strchr(ligne, ':');

		if (strncmp(ligne, "model name", 10) == 0 && deux_points != NULL) {
			snprintf(nom, n, "%s", deux_points + 2);
			nom[strcspn(nom, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

/* Ce que le noyau a vraiment donné pour le tampon, lu dans /proc/self/smaps :
 * taille des pages de la zone et part en transparent huge pages. */
static void pages_obtenues(const void *tampon, size_t taille, char *texte, size_t n)
{
	char ligne[256];
	unsigned long debut, fin, kio;
	int dedans = 0;
	size_t page_kio = 0, thp_kio = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	snprintf(texte, n, "inconnues");
	if (f == NULL)
		return;
	while (fgets(ligne, sizeof(ligne), f) != NULL) {
		if (sscanf(ligne, "%lx-%lx ", &debut, &fin) == 2 && strchr(ligne, '-') < strchr(ligne, ' '))
			dedans = (uintptr_t)tampon >= debut && (uintptr_t)tampon < fin;
		else if (dedans && sscanf(ligne, "KernelPageSize: %lu kB", &kio) == 1)
			page_kio = kio;
		else if (dedans && sscanf(ligne, "AnonHugePages: %lu kB", &kio) == 1)
			thp_kio += kio;
	}
	fclose(f);
	if (page_kio >= 2048)
		snprintf(texte, n, "pages de %zu Mio (hugetlb)", page_kio >> 10);
	else if (thp_kio > 0)
		snprintf(texte, n, "THP : %.0f %% du tampon en pages de 2 Mio",
			 fmin(100.0, 100.0 * (double)(thp_kio << 10) / (double)taille));
	else if (page_kio > 0)
		snprintf(texte, n, "pages de %zu Kio", page_kio);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

static void aide(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage : %s [OPTIONS] > resultat.csv\n"
		"Mesure le temps moyen d'un accès mémoire pour des tampons de taille\n"
		"croissante et écrit un CSV sur la sortie standard.\n\n"
		"  -m, --mode MODE       chase (latence vraie, défaut), stride (benchRead,\n"
		"                        lecture séquentielle) ou tlb (une ligne par page)\n"
		"  -M, --max TAILLE      plus grand tampon (ex. 64M, 512K ; défaut :\n"
		"                        4 fois le dernier cache)\n"
		"      --min TAILLE      plus petit tampon (défaut 4K)\n"
		"  -r, --repetitions N   mesures par taille, la médiane est gardée (défaut 5)\n"
		"  -p, --points N        tailles par octave (défaut 4)\n"
		"  -q, --rapide          mesure rapide et moins précise\n"
		"  -c, --cpu N           épingle le programme sur le cœur N\n"
		"  -h, --help            cette aide\n", prog);
}

static int erreur_option(const char *prog, const char *message, const char *valeur)
{
	fprintf(stderr, "%s : %s « %s »\n", prog, message, valeur);
	fprintf(stderr, "« %s --help » pour l'aide.\n", prog);
	return 2;
}

/* « 64M », « 512K », « 1G » ou un nombre d'octets ; 0 si illisible. */
static size_t lit_taille(const char *texte)
{
	char *fin;
	double n;

	errno = 0;
	n = strtod(texte, &fin);
	if (errno != 0 || fin == texte || n <= 0 || n > 1e15)
		return 0;
	switch (*fin) {
	case 'K': case 'k': n *= 1024; fin++; break;
	case 'M': case 'm': n *= 1048576; fin++; break;
	case 'G': case 'g': n *= 1073741824; fin++; break;
	default: break;
	}
	if (*fin == 'i' || *fin == 'o' || *fin == 'B')
		fin++;
	return *fin == '\0' ? (size_t)n : 0;
}

static int lit_entier(const char *texte, int min, int max)
{
	char *fin;
	long n;

	errno = 0;
	n = strtol(texte, &fin, 10);
	if (errno != 0 || fin == texte || *fin != '\0' || n < min || n > max)
		return -1;
	return (int)n;
}

static int lit_options(int argc, char **argv, struct options *o, const struct caches *c)
{
	static const struct option longues[] = {
		{ "mode", required_argument, NULL, 'm' }, { "max", required_argument, NULL, 'M' },
		{ "min", required_argument, NULL, 'n' },
		{ "repetitions", required_argument, NULL, 'r' },
		{ "points", required_argument, NULL, 'p' }, { "rapide", no_argument, NULL, 'q' },
		{ "cpu", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t llc = c->l3 ? c->l3 : c->l2 ? c->l2 : (size_t)8 << 20;
	int opt, rapide = 0;

	*o = (struct options){ MODE_CHASE, 4096, 4 * llc, 5, 4, (size_t)1 << 18, -1 };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:M:r:p:qc:h", longues, NULL)) != -1) {
		switch (opt) {
		case 'm':
			for (o->mode = 0; o->mode < 3 && strcmp(optarg, NOMS_MODES[o->mode]); o->mode++)
				;
			if (o->mode == 3)
				return erreur_option(argv[0], "mode inconnu (chase, stride ou tlb) :", optarg);
			break;
		case 'M': case 'n':
			if (lit_taille(optarg) < 4096)
				return erreur_option(argv[0], "taille invalide (au moins 4K) :", optarg);
			*(opt == 'M' ? &o->max : &o->min) = lit_taille(optarg);
			break;
		case 'r':
			if ((o->repetitions = lit_entier(optarg, 1, 1000)) < 0)
				return erreur_option(argv[0], "nombre de répétitions invalide (1 à 1000) :", optarg);
			break;
		case 'p':
			if ((o->par_octave = lit_entier(optarg, 1, 32)) < 0)
				return erreur_option(argv[0], "points par octave invalide (1 à 32) :", optarg);
			break;
		case 'c':
			if ((o->cpu = lit_entier(optarg, 0, CPU_SETSIZE - 1)) < 0)
				return erreur_option(argv[0], "numéro de cœur invalide :", optarg);
			break;
		case 'q': rapide = 1; break;
		case 'h': aide(stdout, argv[0]); exit(0);
		case ':': return erreur_option(argv[0], "valeur manquante pour l'option", argv[optind - 1]);
		default: return erreur_option(argv[0], "option inconnue", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return erreur_option(argv[0], "argument inattendu", argv[optind]);
	if (rapide) {
		o->repetitions = o->repetitions < 3 ? o->repetitions : 3;
		o->par_octave = 2;
		o->acces_min = (size_t)1 << 16;
		if (o->max > 2 * llc)
			o->max = 2 * llc;
	}
	if (o->min > o->max) {
		fprintf(stderr, "%s : --min (%zu octets) dépasse --max (%zu octets)\n",
			argv[0], o->min, o->max);
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Mesures                                                                  */
/* ------------------------------------------------------------------------ */

/* Tailles espacées régulièrement en échelle log, multiples du pas du mode. */
static int liste_tailles(const struct options *o, size_t pas, size_t *tailles)
{
	int n = 0;

	for (double t = (double)o->min; n < MAX_POINTS; t *= pow(2.0, 1.0 / o->par_octave)) {
		size_t taille = (size_t)t / pas * pas;

		if (taille > o->max)
			taille = o->max / pas * pas;
		if (taille >= 2 * pas && (n == 0 || taille > tailles[n - 1]))
			tailles[n++] = taille;
		if (taille >= o->max / pas * pas)
			break;
	}
	return n;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Une taille : toutes les répétitions, triées (médiane au milieu). */
static void mesure(const struct options *o, char *tampon, size_t taille, double *temps)
{
	size_t pas = o->mode == MODE_TLB ? TAILLE_PAGE : TAILLE_LIGNE;
	size_t maillons = taille / pas;
	size_t acces = maillons > o->acces_min ? maillons : o->acces_min;

	if (o->mode != MODE_STRIDE)
		prepare_poursuite(tampon, taille, pas, GRAINE);
	for (int r = 0; r < o->repetitions; r++) {
		if (o->mode == MODE_STRIDE) {
			temps[r] = benchRead((const int *)tampon, taille, acces);
		} else {
			PRE_CHAUFFE_DU_CACHE(tampon, taille);
			temps[r] = benchChase(tampon, acces);
		}
	}
	qsort(temps, (size_t)o->repetitions, sizeof(*temps), compare_doubles);
}

/* Coût relatif d'une taille (nombre de lectures), pour estimer le temps restant. */
static double cout(const struct options *o, size_t taille)
{
	size_t lignes = taille / TAILLE_LIGNE;

	return (double)(lignes > o->acces_min ? lignes : o->acces_min);
}

static void progression(const char *mode, size_t taille, int i, int n, double fait,
			double total, struct timespec debut)
{
	struct timespec maintenant;
	double ecoule;

	if (!isatty(STDERR_FILENO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &maintenant);
	ecoule = duree_ns(debut, maintenant) / 1e9;
	fprintf(stderr, "\r  %-6s %8.0f Kio  [%d/%d]  reste ~%.0f s   ", mode,
		(double)taille / 1024, i + 1, n, fait > 0 ? ecoule * (total - fait) / fait : 0.0);
}

/* ------------------------------------------------------------------------ */
/* Allocation du tampon                                                     */
/* ------------------------------------------------------------------------ */

#ifdef ALLOCATION_HP
/* Le tampon vient de hp_malloc. Tant que __hp_malloc n'est pas écrit (Q13),
 * on prend directement le début de la réserve : la partie huge pages du TD
 * (Q6 à Q9) se fait avant l'allocateur. */
static void *alloue_tampon(size_t taille, char *support, size_t n)
{
	char mio[32];
	void *p;

	snprintf(mio, sizeof(mio), "%zu", (taille >> 20) + 2);
	setenv("HP_RESERVE_MIO", mio, 0); /* la réserve doit contenir le tampon */
	if (hp_init() != 0)
		return NULL;
	snprintf(support, n, "%s", hp_nom_support(reserve.support));
	p = hp_malloc(taille);
	if (p == NULL && reserve.taille >= taille) {
		fprintf(stderr, "bench : hp_malloc a rendu NULL (__hp_malloc pas encore écrit ?) ; "
			"le tampon est pris au début de la réserve\n");
		p = reserve.mem;
	}
	return p;
}
#else
/* Sous LD_PRELOAD=libmalloc_wrapper.so, le symbole « reserve » de
 * l'allocateur est visible : on vérifie que le tampon en vient vraiment. */
static void *alloue_tampon(size_t taille, char *support, size_t n)
{
	void *p = malloc(taille);
	const struct reserve *r = dlsym(RTLD_DEFAULT, "reserve");
	const char *(*nom)(enum hp_support) = (const char *(*)(enum hp_support))
		dlsym(RTLD_DEFAULT, "hp_nom_support");
	const char *debut = r != NULL ? r->mem : NULL;

	if (debut != NULL && nom != NULL && (char *)p >= debut && (char *)p < debut + r->taille)
		snprintf(support, n, "réserve de hp_malloc (LD_PRELOAD), %s", nom(r->support));
	else if (r != NULL)
		snprintf(support, n, "malloc de la libc (la réserve n'a pas pu servir le tampon)");
	else
		snprintf(support, n, "malloc de la libc");
	return p;
}
#endif

/* ------------------------------------------------------------------------ */
/* CSV                                                                      */
/* ------------------------------------------------------------------------ */

static void ecrit_entete(const struct options *o, const struct caches *c, const char *support,
			 const char *pages)
{
	char cpu[128], date[64];
	time_t t = time(NULL);

	nom_processeur(cpu, sizeof(cpu));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("# bench du TD « Mémoire » : temps moyen d'un accès selon la taille du tampon\n");
	printf("# cpu: %s\n# coeurs: %ld\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
	printf("# cache_L1d_octets: %zu\n# cache_L2_octets: %zu\n# cache_L3_octets: %zu\n",
	       c->l1, c->l2, c->l3);
	printf("# mode: %s\n# allocation: %s\n# reserve: %s\n# pages: %s\n",
	       NOMS_MODES[o->mode], NOM_ALLOCATION, support, pages);
	printf("# repetitions: %d (médiane)\n# acces_min: %zu\n# cpu_epingle: %d\n# date: %s\n",
	       o->repetitions, o->acces_min, o->cpu, date);
	printf("taille_octets,ns_par_acces,ns_min,ns_max\n");
}

int main(int argc, char **argv)
{
	struct caches c = lit_caches();
	struct options o;
	static size_t tailles[MAX_POINTS];
	double *temps, fait = 0, total = 0;
	char support[64], pages[128];
	struct timespec debut;
	char *tampon;
	int n, code = lit_options(argc, argv, &o, &c);

	if (code != 0)
		return code;
	if (o.cpu >= 0) {
		cpu_set_t ensemble;

		CPU_ZERO(&ensemble);
		CPU_SET(o.cpu, &ensemble);
		if (sched_setaffinity(0, sizeof(ensemble), &ensemble) != 0) {
			fprintf(stderr, "%s : impossible d'épingler sur le cœur %d : %s\n",
				argv[0], o.cpu, strerror(errno));
			return 2;
		}
	}
	n = liste_tailles(&o, o.mode == MODE_TLB ? TAILLE_PAGE : TAILLE_LIGNE, tailles);
	tampon = alloue_tampon(o.max, support, sizeof(support));
	temps = malloc((size_t)o.repetitions * sizeof(*temps));
	if (tampon == NULL || temps == NULL || n == 0) {
		fprintf(stderr, "%s : impossible d'allouer un tampon de %zu Mio\n", argv[0], o.max >> 20);
		return 1;
	}
	memset(tampon, 1, o.max); /* toutes les pages existent avant les mesures */
	pages_obtenues(tampon, o.max, pages, sizeof(pages));
	fprintf(stderr, "bench : mode %s, %d tailles de %zu Kio à %zu Kio, tampon %s (%s)\n",
		NOMS_MODES[o.mode], n, tailles[0] >> 10, tailles[n - 1] >> 10, support, pages);
	ecrit_entete(&o, &c, support, pages);
	for (int i = 0; i < n; i++)
		total += cout(&o, tailles[i]);
	clock_gettime(CLOCK_MONOTONIC, &debut);
	for (int i = 0; i < n; i++) {
		progression(NOMS_MODES[o.mode], tailles[i], i, n, fait, total, debut);
		mesure(&o, tampon, tailles[i], temps);
		printf("%zu,%.3f,%.3f,%.3f\n", tailles[i], temps[o.repetitions / 2], temps[0],
		       temps[o.repetitions - 1]);
		fflush(stdout);
		fait += cout(&o, tailles[i]);
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%60s\r", "");
	free(temps);
	return 0;
}
