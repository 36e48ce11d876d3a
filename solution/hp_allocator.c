/*
 * hp_allocator.c : allocateur « first fit » sur une réserve en huge pages.
 *
 * C'est le SEUL fichier que vous modifiez : écrivez __hp_malloc (Q13 puis
 * Q18), recherche_bloc_libre (Q16) et __hp_free (Q20). Le reste est fourni.
 * Les invariants à respecter sont écrits en tête de hp_allocator.h.
 */
#define _GNU_SOURCE
#include "hp_allocator.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6 /* f_type d'un montage hugetlbfs */
#endif

struct reserve reserve = { .fd = -1 };
struct bloc *libre = NULL;

/* ------------------------------------------------------------------------ */
/* Fourni : création de la réserve                                          */
/* ------------------------------------------------------------------------ */

const char *hp_nom_support(enum hp_support support)
{
	switch (support) {
	case HP_HUGETLBFS: return "hugetlbfs";
	case HP_MAP_HUGETLB: return "MAP_HUGETLB";
	case HP_THP: return "THP";
	case HP_NORMALES: return "pages normales";
	default: return "aucune";
	}
}

/* Taille d'une huge page lue dans /proc/meminfo (2 Mio sur x86_64). */
static size_t taille_huge_page(void)
{
	size_t kio = 2048;
	char ligne[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return kio << 10;
	while (fgets(ligne, sizeof(ligne), f) != NULL)
		if (sscanf(ligne, "Hugepagesize: %zu kB", &kio) == 1)
			break;
	fclose(f);
	return kio << 10;
}

static size_t arrondi_sup(size_t n, size_t multiple)
{
	return (n + multiple - 1) / multiple * multiple;
}

/* Taille demandée par HP_RESERVE_MIO, ou la taille par défaut. */
static size_t taille_demandee(void)
{
	const char *s = getenv("HP_RESERVE_MIO");
	char *fin;
	unsigned long mio;

	if (s == NULL || *s == '\0')
		return HP_RESERVE_DEFAUT;
	errno = 0;
	mio = strtoul(s, &fin, 10);
	if (errno != 0 || *fin != '\0' || mio == 0 || mio > (1UL << 20)) {
		fprintf(stderr, "hp_init : HP_RESERVE_MIO=« %s » invalide "
			"(attendu : un nombre de Mio entre 1 et 1048576)\n", s);
		return 0;
	}
	return (size_t)mio << 20;
}

/* Un fichier propre au processus sur hugetlbfs, effacé aussitôt créé : deux
 * processus ne partagent jamais leurs pages, et rien ne traîne après un
 * plantage. MAP_PRIVATE : après un fork, le fils a sa copie de la réserve au
 * lieu d'écrire dans celle du père. Rend 0, ou -1 si hugetlbfs est inutilisable. */
static int essai_hugetlbfs(size_t taille)
{
	const char *dossier = getenv("HP_HUGETLBFS");
	char chemin[4096];
	struct statfs sf;
	void *p;
	int fd;

	if (dossier == NULL || *dossier == '\0')
		dossier = "/mnt/huge";
	if (statfs(dossier, &sf) != 0 || sf.f_type != HUGETLBFS_MAGIC)
		return -1;
	if (snprintf(chemin, sizeof(chemin), "%s/hp_XXXXXX", dossier)
	    >= (int)sizeof(chemin))
		return -1;
	fd = mkstemp(chemin);
	if (fd < 0)
		return -1;
	unlink(chemin);
	p = mmap(NULL, taille, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	reserve = (struct reserve){ p, taille, taille, p, fd, HP_HUGETLBFS };
	return 0;
}

static int essai_map_hugetlb(size_t taille)
{
	void *p = mmap(NULL, taille, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	reserve = (struct reserve){ p, taille, taille, p, -1, HP_MAP_HUGETLB };
	return 0;
}

/* Vrai si le noyau accepte madvise(MADV_HUGEPAGE) (THP pas à « never »). */
static int thp_disponible(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f == NULL)
		return 0;
	if (fgets(mode, sizeof(mode), f) == NULL)
		mode[0] = '\0';
	fclose(f);
	return strstr(mode, "[never]") == NULL && mode[0] != '\0';
}

/* Pages anonymes ordinaires ; avec thp, la zone est alignée sur une huge
 * page (sinon le noyau ne peut pas en utiliser) et marquée MADV_HUGEPAGE. */
static int essai_anonyme(size_t taille, size_t huge, int thp)
{
	size_t longueur = thp ? taille + huge : taille;
	char *p = mmap(NULL, longueur, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *debut = p;

	if (p == MAP_FAILED)
		return -1;
	if (thp) {
		debut = (char *)arrondi_sup((uintptr_t)p, huge);
		if (madvise(debut, taille, MADV_HUGEPAGE) != 0) {
			munmap(p, longueur);
			return -1;
		}
	}
	reserve = (struct reserve){ debut, taille, longueur, p, -1,
				    thp ? HP_THP : HP_NORMALES };
	return 0;
}

/* Essaie les supports dans l'ordre, ou seulement celui exigé. */
static int cree_reserve(const char *exige, size_t taille, size_t huge)
{
	int tous = exige == NULL || *exige == '\0' || !strcmp(exige, "auto");

	if ((tous || !strcmp(exige, "hugetlbfs")) && essai_hugetlbfs(taille) == 0)
		return 0;
	if ((tous || !strcmp(exige, "hugetlb")) && essai_map_hugetlb(taille) == 0)
		return 0;
	if ((tous || !strcmp(exige, "thp")) && thp_disponible()
	    && essai_anonyme(taille, huge, 1) == 0)
		return 0;
	if ((tous || !strcmp(exige, "normales")) && essai_anonyme(taille, huge, 0) == 0)
		return 0;
	if (tous || !strcmp(exige, "normales"))
		fprintf(stderr, "hp_init : mmap de %zu Mio impossible : %s\n",
			taille >> 20, strerror(errno));
	else if (strcmp(exige, "hugetlbfs") && strcmp(exige, "hugetlb")
		 && strcmp(exige, "thp"))
		fprintf(stderr, "hp_init : HP_PAGES=« %s » inconnu (attendu : "
			"auto, hugetlbfs, hugetlb, thp ou normales)\n", exige);
	else
		fprintf(stderr, "hp_init : HP_PAGES=%s exigé mais indisponible "
			"(essayez « make hugepages » en root)\n", exige);
	return -1;
}

/* Vrai après hp_finalize : le curseur « static size_t alloue » de
 * __hp_malloc ne repart pas de zéro, une nouvelle réserve serait mal utilisée. */
static int reserve_detruite;

int hp_init(void)
{
	size_t huge = taille_huge_page();
	size_t taille = taille_demandee();

	if (reserve.mem != NULL)
		return 0; /* déjà faite : une seule réserve par processus */
	if (reserve_detruite) {
		fprintf(stderr, "hp_init : la réserve a été détruite par hp_finalize ; "
			"elle ne peut pas être recréée dans le même processus\n");
		return -1;
	}
	if (taille == 0)
		return -1;
	/* munmap d'une zone en huge pages exige un multiple de leur taille */
	taille = arrondi_sup(taille, huge);
	if (cree_reserve(getenv("HP_PAGES"), taille, huge) != 0)
		return -1;
	if (getenv("HP_VERBEUX") != NULL)
		fprintf(stderr, "hp_init : réserve de %zu Mio (%s)\n",
			reserve.taille >> 20, hp_nom_support(reserve.support));
	return 0;
}

void hp_finalize(void)
{
	if (reserve.base_mappee != NULL) {
		munmap(reserve.base_mappee, reserve.taille_mappee);
		reserve_detruite = 1;
	}
	if (reserve.fd >= 0)
		close(reserve.fd);
	reserve = (struct reserve){ .fd = -1 };
	libre = NULL;
}

/* ------------------------------------------------------------------------ */
/* Fourni : outils                                                          */
/* ------------------------------------------------------------------------ */

/* Plus petit multiple d'ALIGNEMENT >= taille (ALIGNEMENT est une puissance
 * de 2). Une taille si grande que l'arrondi déborderait donne SIZE_MAX, qui
 * ne tiendra jamais dans la réserve. */
size_t calcule_multiple_aligne(size_t taille)
{
	if (taille > SIZE_MAX - (ALIGNEMENT - 1))
		return SIZE_MAX;
	return (taille + ALIGNEMENT - 1) & ~(size_t)(ALIGNEMENT - 1);
}

void bloc_init(struct bloc *bloc, size_t taille)
{
	bloc->taille = taille;
	bloc->suivant = NULL;
}

/* ------------------------------------------------------------------------ */
/* À écrire : l'allocateur                                                  */
/* ------------------------------------------------------------------------ */

/* Q16 : premier bloc libre assez grand (first fit), retiré de la liste. */
struct bloc *recherche_bloc_libre(size_t taille)
{
	/* DEBUT SOLUTION (Q16) : parcourez la liste « libre » depuis sa tête ;
	 * retirez de la liste et rendez le premier bloc dont la taille est >=
	 * taille, ou NULL s'il n'y en a pas. */
	struct bloc *precedent = NULL;
	struct bloc *bloc;

	for (bloc = libre; bloc != NULL; precedent = bloc, bloc = bloc->suivant) {
		if (bloc->taille < taille)
			continue;
		if (precedent == NULL)
			libre = bloc->suivant;           /* en tête de liste */
		else
			precedent->suivant = bloc->suivant;
		bloc->suivant = NULL;
		return bloc;
	}
	return NULL;
	/* SQUELETTE
	(void)taille;
	return NULL;
	FIN SOLUTION */
}

/* Q13 puis Q18 : un bloc libre réutilisé, sinon un bloc neuf pris en fin de
 * réserve. */
void *__hp_malloc(size_t taille)
{
	/* DEBUT SOLUTION (Q13, Q18) : arrondissez taille avec
	 * calcule_multiple_aligne ; réutilisez un bloc libre
	 * (recherche_bloc_libre) ; sinon prenez un bloc neuf à la position du
	 * curseur « static size_t alloue » (en-tête initialisé par bloc_init, puis
	 * données). Sans place : message sur stderr, errno = ENOMEM, NULL. Rendez
	 * l'adresse qui suit l'en-tête. */
	static size_t alloue = 0; /* octets déjà distribués en fin de réserve */
	struct bloc *bloc;

	taille = calcule_multiple_aligne(taille);
	bloc = recherche_bloc_libre(taille);
	if (bloc == NULL) {
		if (taille > reserve.taille - alloue
		    || reserve.taille - alloue - taille < TAILLE_EN_TETE) {
			fprintf(stderr, "__hp_malloc : réserve épuisée\n");
			errno = ENOMEM;
			return NULL;
		}
		bloc = (struct bloc *)((char *)reserve.mem + alloue);
		alloue += TAILLE_EN_TETE + taille;
		bloc_init(bloc, taille);
	}
	return (char *)bloc + TAILLE_EN_TETE;
	/* SQUELETTE
	(void)taille;
	errno = ENOMEM;
	return NULL;
	FIN SOLUTION */
}

/* Q20 : le bloc libéré est empilé en tête de la liste libre, en O(1). */
void __hp_free(void *ptr)
{
	/* DEBUT SOLUTION (Q20) : ne faites rien si ptr vaut NULL ; sinon
	 * retrouvez l'en-tête du bloc (TAILLE_EN_TETE octets avant ptr) et
	 * insérez-le en TÊTE de la liste « libre ». */
	struct bloc *bloc;

	if (ptr == NULL)
		return;
	bloc = (struct bloc *)((char *)ptr - TAILLE_EN_TETE);
	bloc->suivant = libre;
	libre = bloc;
	/* SQUELETTE
	(void)ptr;
	FIN SOLUTION */
}

/* ------------------------------------------------------------------------ */
/* Fourni : l'interface publique                                            */
/* ------------------------------------------------------------------------ */

/* Comme malloc : crée la réserve au premier appel ; malloc(0) rend un
 * pointeur unique qu'on peut libérer. */
void *hp_malloc(size_t taille)
{
	void *p;

	if (reserve.mem == NULL && hp_init() != 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (taille == 0)
		taille = 1;
	if (taille > reserve.taille) {
		errno = ENOMEM;
		return NULL;
	}
	p = __hp_malloc(taille);
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

/* Comme free ; un pointeur hors de la réserve est refusé avec un message,
 * car l'empiler corromprait la liste libre. */
void hp_free(void *ptr)
{
	char *p = ptr, *debut = reserve.mem;

	if (ptr == NULL)
		return;
	if (debut == NULL || p < debut + TAILLE_EN_TETE || p >= debut + reserve.taille) {
		fprintf(stderr, "hp_free : %p n'a pas été alloué par hp_malloc\n", ptr);
		return;
	}
	__hp_free(ptr);
}
