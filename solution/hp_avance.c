/* SOLUTION SEULEMENT : absent de l'archive des étudiants. */
/*
 * hp_avance.c : un malloc généraliste, à précharger dans n'importe quel
 * programme (partie 5 du TD, corrigé) :
 *
 *   LD_PRELOAD=./libhp_avance.so ./hp_driver traces/aleatoire.rep
 *   HP_STATS=1 LD_PRELOAD=./libhp_avance.so ls -lR /usr/include > /dev/null
 *
 * Trois étages, du plus rapide au plus lent.
 *
 * 1. Un cache par fil d'exécution (comme le tcache de la glibc) : pour
 *    chaque taille de bloc de 32 à 256 octets (de 16 en 16), une pile de
 *    blocs libres propre au fil. malloc dépile, free empile : ni verrou ni
 *    instruction atomique. Pile vide : on la remplit d'un lot de blocs pris
 *    au tas sous une seule prise du verrou ; pile pleine : on en rend la
 *    moitié au tas. Un bloc libéré par un autre fil que celui qui l'a alloué
 *    rejoint simplement le cache de ce fil. À la fin d'un fil, un
 *    destructeur de clé pthread rend son cache au tas.
 *
 * 2. Un tas commun, protégé par un verrou. Chaque bloc a un en-tête de 8
 *    octets devant la charge utile : sa taille (multiple de 16) et trois
 *    bits, « en usage », « précédent en usage » et « projeté » (obtenu par
 *    mmap). Seuls les blocs libres ont un pied (leur taille, dans leurs 8
 *    derniers octets) : grâce au bit « précédent en usage », un bloc occupé
 *    n'en a pas besoin. Surcoût : 8 octets par bloc occupé ; plus petit
 *    bloc : 32 octets (en-tête, deux liens de liste, pied).
 *    Les blocs libres sont rangés dans des listes doublement chaînées, une
 *    par classe de tailles (« segregated fits ») : 63 classes exactes de 16
 *    en 16 jusqu'à 1 Kio, puis 8 classes par puissance de 2 (comme TLSF).
 *    Une carte de bits dit quelles listes ne sont pas vides. On sert le
 *    meilleur bloc parmi les premiers de la bonne liste, sinon de la première
 *    liste non vide au-dessus ; un bloc trop grand est découpé par la fin
 *    (la partie libre garde sa place dans sa liste) ; un bloc libéré est
 *    fusionné avec ses voisins libres (pied du précédent, en-tête du
 *    suivant).
 *    La mémoire vient de « tronçons » de 64 Mio obtenus par mmap (la glibc
 *    garde brk pour elle) et alignés sur leur taille. Une page n'entre dans
 *    la mémoire résidente que lorsqu'on y écrit : réserver large ne coûte que
 *    de l'espace d'adresses. La fin non entamée du tronçon courant est le
 *    « sommet », un bloc libre hors des listes où l'on ne taille que si
 *    aucune liste ne convient : les trous sont bouchés d'abord. Quand le
 *    sommet grossit au-delà du seuil de rognage, ses pages sont rendues au
 *    système (madvise), au plus une fois par seconde : un programme qui
 *    libère tout puis réalloue aussitôt ne paie pas chaque fois des milliers
 *    de fautes de page.
 *    Le tas a deux arènes (listes, tronçons et sommet à elles) sous le même
 *    verrou : les blocs de 256 octets au plus, et les autres. Un petit bloc
 *    de longue durée ne se glisse plus entre deux grands trous et ne les
 *    empêche plus de fusionner. L'arène d'un bloc se lit au début de son
 *    tronçon (adresse du bloc & ~(64 Mio - 1)).
 *
 * 3. Les grands blocs, à partir du seuil mmap (128 Kio au départ, comme la
 *    glibc), sont demandés au système par mmap et lui sont rendus par
 *    munmap dès free : pas de fragmentation du tas pour eux. Le seuil est
 *    dynamique, comme celui de la glibc : libérer un bloc projeté plus grand
 *    que le seuil relève le seuil à sa taille (32 Mio au plus). Un programme
 *    qui libère un tel bloc en redemandera sans doute de pareils, et les
 *    reprendre au tas évite un mmap, un munmap et une faute de page (avec
 *    mise à zéro) par page touchée : quelques microsecondes par page ici.
 *    realloc d'un grand bloc passe par mremap : les pages changent de place
 *    sans copie.
 *
 * realloc grandit sur place quand le bloc suivant est libre ou est le
 * sommet. Sinon le bloc est déplacé avec une marge de 1/8 : un tampon qui
 * grandit par petits pas grandit ensuite sur place (voir marge_realloc).
 *
 * Fils d'exécution : un seul verrou pour le tas, que les caches des fils
 * épargnent pour presque tous les petits blocs. Tant que le processus n'a
 * qu'un fil (__libc_single_threaded, comme la glibc), le verrou n'est même
 * pas pris. fork : pthread_atfork prend le verrou avant le fork et le rend
 * après, le tas du fils n'est jamais à moitié modifié.
 *
 * Coût de chaque opération (n : taille demandée, k : longueur d'une liste) :
 *  - malloc/free d'un petit bloc (<= 256 octets) servi ou repris par le
 *    cache du fil : O(1), une vingtaine d'instructions, sans verrou ;
 *  - remplir ou vider à moitié une pile du cache : O(lot) sous une seule
 *    prise du verrou, soit O(1) amorti par opération ;
 *  - malloc dans le tas : O(1) pour la classe ; une classe exacte sert son
 *    premier bloc ; dans une classe en intervalle on regarde au plus
 *    FOUILLE_MAX blocs, O(min(k, 16)) ; la première liste non vide au-dessus
 *    vient de la carte de bits, O(NB_LISTES / 64) = O(1) ; découper ou
 *    tailler dans le sommet : O(1) ;
 *  - free dans le tas avec fusion des voisins : O(1) (listes doublement
 *    chaînées : retirer un voisin de sa liste est immédiat) ;
 *  - malloc/free d'un grand bloc : O(1) plus un appel système (mmap,
 *    munmap) et une faute de page par page touchée ;
 *  - realloc sur place (rétrécir, ou grandir dans un voisin libre ou dans le
 *    sommet) : O(1) ; par copie : O(n) ; grand bloc : mremap, O(pages) sans
 *    copie des données ;
 *  - memalign & co : un bloc de n + alignement pris au tas, puis découpé
 *    devant et derrière (les morceaux retournent au tas) : O(1) en plus.
 *
 * Statistiques (HP_STATS=1 : résumé sur stderr à la fin du programme). Pour
 * ne pas ralentir le chemin rapide, chaque fil compte ses appels dans son
 * cache, sans instruction atomique ; hp_stats_lire additionne les caches
 * sous le verrou. C'est un instantané approché : un fil peut compter pendant
 * la lecture. « recyclés » compte les blocs servis par une liste libre ou
 * par un cache ; un bloc neuf passé par un cache (remplissage par lot) y est
 * compté aussi. « octets en usage » compte les blocs sortis du tas ou
 * projetés, y compris ceux qui dorment dans les caches des fils (au plus
 * 4 Kio par classe et par fil) : une approximation par excès.
 */
#define _GNU_SOURCE
#include "hp_avance.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <time.h>
#include <unistd.h>

#define ALIGNEMENT 16
#define EN_TETE 8        /* taille et drapeaux, juste devant la charge utile */
#define BLOC_MIN 32      /* en-tête, deux liens de liste, pied */
#define EN_USAGE 1u      /* drapeaux dans les 4 bits bas de l'en-tête */
#define PREC_EN_USAGE 2u
#define PROJETE 4u
#define DRAPEAUX ((size_t)15)

/* Au-delà, on refuse (ENOMEM) : aucune somme de tailles ne peut déborder. */
#define MAX_DEMANDE ((size_t)PTRDIFF_MAX / 2)

#define TAILLE_TRONCON ((size_t)64 << 20)      /* réservé d'un coup, aligné sur sa taille */
#define SEUIL_MMAP_INITIAL ((size_t)128 << 10)  /* comme M_MMAP_THRESHOLD de la glibc */
#define SEUIL_MMAP_MAX ((size_t)32 << 20)       /* plafond du seuil dynamique (glibc : 32 Mio) */
#define MARGE_REALLOC 8                         /* realloc qui déplace pour grandir : n + n/8 */
#define GARDE_SOMMET ((size_t)64 << 10)         /* pages du sommet jamais rendues */

/* Listes du tas : classes exactes 2..64 (blocs de 32 à 1024 octets, indice
 * = taille / 16), puis 8 classes par puissance de 2 de 2^10 à 2^47. */
#define MAX_CLASSE_EXACTE 1024
#define NB_LISTES (65 + 38 * 8)
#define NB_MOTS ((NB_LISTES + 63) / 64)
#define FOUILLE_MAX 16

/* Caches des fils : blocs de 32 à 256 octets, classe = taille / 16. Ce
 * sont de loin les plus fréquents ; au-delà, un bloc qui dort dans un cache
 * coûte trop de mémoire (il ne fusionne avec personne) pour ce qu'il fait
 * gagner, surtout quand un seul fil tourne et que le verrou est gratuit. */
#define MAX_BLOC_CACHE 256
#define MAX_CLASSE_CACHE (MAX_BLOC_CACHE / 16)
#define MAX_DEMANDE_CACHE (MAX_BLOC_CACHE - EN_TETE)

/* Les blocs jusqu'à cette taille vont dans l'arène des petits. */
#define BLOC_PETIT_MAX 256

/* ------------------------------------------------------------------------ */
/* Blocs                                                                    */
/* ------------------------------------------------------------------------ */

/* Un bloc est désigné par l'adresse de son en-tête (charge utile - 8). Les
 * charges utiles sont alignées sur 16, les en-têtes sont donc à 8 modulo 16
 * et toutes les tailles de blocs sont des multiples de 16. */
struct libre {
	size_t en_tete;
	struct libre *suivant, *precedent;
	/* ... et la taille, dans les 8 derniers octets du bloc */
};

static inline size_t *en_tete(char *bloc)
{
	return (size_t *)bloc;
}

static inline size_t taille_de(char *bloc)
{
	return *en_tete(bloc) & ~DRAPEAUX;
}

static inline char *bloc_de(void *p)
{
	return (char *)p - EN_TETE;
}

static inline void *charge_de(char *bloc)
{
	return bloc + EN_TETE;
}

/* Taille du bloc qui contient n octets utiles (n <= MAX_DEMANDE). */
static inline size_t taille_bloc(size_t n)
{
	return n <= BLOC_MIN - EN_TETE ? BLOC_MIN : (n + EN_TETE + ALIGNEMENT - 1) & ~(size_t)(ALIGNEMENT - 1);
}

static inline size_t arrondi(size_t n, size_t multiple)
{
	return (n + multiple - 1) & ~(multiple - 1);
}

static size_t taille_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static void erreur_fatale(const char *message)
{
	static const char debut[] = "hp_avance : ";
	ssize_t r;

	r = write(STDERR_FILENO, debut, sizeof(debut) - 1);
	r = write(STDERR_FILENO, message, strlen(message));
	r = write(STDERR_FILENO, "\n", 1);
	(void)r;
	abort();
}

/* ------------------------------------------------------------------------ */
/* L'état global, le verrou                                                 */
/* ------------------------------------------------------------------------ */

/* Une arène : des listes libres, une carte de bits, des tronçons et le
 * sommet du dernier tronçon. Deux arènes partagent le verrou : les petits
 * blocs vivent à part, un petit bloc de longue durée ne se glisse plus
 * entre deux grands trous et ne les empêche plus de fusionner. */
struct arene {
	struct libre *listes[NB_LISTES];
	uint64_t carte[NB_MOTS];       /* bit i : listes[i] non vide */
	char *sommet;                  /* bloc libre en fin du tronçon courant */
	char *sale;                    /* au-delà : pages du sommet jamais touchées */
	struct troncon *troncons;
	struct timespec dernier_rognage;
};

/* Au début de chaque tronçon (aligné sur sa taille : on retrouve le
 * tronçon, donc l'arène, d'un bloc par un simple masque sur son adresse). */
struct troncon {
	struct arene *arene;
	struct troncon *suivant;
	size_t bourrage;  /* 24 octets : le premier en-tête est à 8 modulo 16 */
};

/* Compteurs d'appels d'un fil (les autres chiffres sont comptés sous le
 * verrou dans tas.stats). */
enum { APPEL_MALLOC, APPEL_FREE, APPEL_REALLOC, APPEL_CALLOC, SORTIS_CACHE, NB_COMPTEURS };

struct maillon {
	struct maillon *suivant;
};

struct cache {
	struct maillon *tete[MAX_CLASSE_CACHE + 1];
	uint16_t place[MAX_CLASSE_CACHE + 1];  /* blocs qu'on peut encore empiler */
	size_t compteurs[NB_COMPTEURS];
	struct cache *suivant, *precedent;      /* registre des caches vivants */
};

static struct arene arenes[2];
#define PETITS (&arenes[0])  /* blocs de BLOC_PETIT_MAX octets au plus */
#define AUTRES (&arenes[1])

/* Ce que les arènes et les caches partagent (sous le verrou). */
static struct {
	struct hp_stats stats;         /* servis et recyclés hors caches, mmap... */
	struct cache *caches;          /* registre des caches des fils vivants */
} tas;

/* Adaptatif : un fil qui trouve le verrou pris tourne un peu avant de
 * dormir (futex). Les sections critiques sont courtes : avec 4 fils sur 2
 * cœurs, dormir à chaque conflit coûtait un tiers du débit. */
static pthread_mutex_t verrou = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static size_t seuil_mmap = SEUIL_MMAP_INITIAL;  /* lu sans verrou (relâché) */
static size_t orphelins[NB_COMPTEURS];          /* fils finis ou sans cache */

static __thread struct cache *mon_cache __attribute__((tls_model("initial-exec")));
static __thread int fil_termine __attribute__((tls_model("initial-exec")));

/* Sans autre fil, personne ne peut nous disputer le tas : comme la glibc,
 * on ne prend pas le verrou. Le drapeau ne passe à faux que dans
 * pthread_create, que ce fil n'appelle pas pendant qu'il tient le tas. */
static inline int verrouille(void)
{
	if (__libc_single_threaded)
		return 0;
	pthread_mutex_lock(&verrou);
	return 1;
}

static inline void deverrouille(int pris)
{
	if (pris)
		pthread_mutex_unlock(&verrou);
}

static inline size_t lit_seuil_mmap(void)
{
	return __atomic_load_n(&seuil_mmap, __ATOMIC_RELAXED);
}

/* Un compteur que seul son fil modifie, que hp_stats_lire lit de loin. */
static inline void compte(struct cache *c, int i)
{
	if (c != NULL)
		__atomic_store_n(&c->compteurs[i], __atomic_load_n(&c->compteurs[i], __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&orphelins[i], 1, __ATOMIC_RELAXED);
}

static void compte_octets(long long delta)
{
	tas.stats.octets_utilises += (size_t)delta;
	if (tas.stats.octets_utilises > tas.stats.pic)
		tas.stats.pic = tas.stats.octets_utilises;
}

static inline struct arene *arene_de(char *bloc)
{
	return ((struct troncon *)((uintptr_t)bloc & ~(uintptr_t)(TAILLE_TRONCON - 1)))->arene;
}

static inline struct arene *arene_pour(size_t b)
{
	return b <= BLOC_PETIT_MAX ? PETITS : AUTRES;
}

/* ------------------------------------------------------------------------ */
/* Listes libres d'une arène (sous le verrou)                               */
/* ------------------------------------------------------------------------ */

static inline unsigned classe_de(size_t t)
{
	unsigned l, i;

	if (t <= MAX_CLASSE_EXACTE)
		return (unsigned)(t >> 4);
	l = 63u - (unsigned)__builtin_clzl(t);
	i = 65u + (l - 10u) * 8u + (unsigned)((t >> (l - 3u)) & 7u);
	return i < NB_LISTES ? i : NB_LISTES - 1;
}

/* Un bloc libre : en-tête et pied. Son précédent est toujours en usage
 * (deux blocs libres voisins auraient été fusionnés). */
static inline void marque_libre(char *bloc, size_t t)
{
	*en_tete(bloc) = t | PREC_EN_USAGE;
	*en_tete(bloc + t - EN_TETE) = t;
}

static void insere(struct arene *a, char *bloc, size_t t)
{
	struct libre *l = (struct libre *)bloc;
	unsigned i = classe_de(t);

	l->suivant = a->listes[i];
	l->precedent = NULL;
	if (l->suivant != NULL)
		l->suivant->precedent = l;
	a->listes[i] = l;
	a->carte[i / 64] |= (uint64_t)1 << (i % 64);
}

static void retire(struct arene *a, char *bloc, size_t t)
{
	struct libre *l = (struct libre *)bloc;
	unsigned i = classe_de(t);

	if (l->precedent != NULL)
		l->precedent->suivant = l->suivant;
	else if ((a->listes[i] = l->suivant) == NULL)
		a->carte[i / 64] &= ~((uint64_t)1 << (i % 64));
	if (l->suivant != NULL)
		l->suivant->precedent = l->precedent;
}

/* Première liste non vide d'indice >= i, ou NB_LISTES. */
static unsigned premiere_non_vide(struct arene *a, unsigned i)
{
	unsigned m = i / 64;
	uint64_t bits;

	if (m >= NB_MOTS)
		return NB_LISTES;
	bits = a->carte[m] & (~(uint64_t)0 << (i % 64));
	while (bits == 0) {
		if (++m == NB_MOTS)
			return NB_LISTES;
		bits = a->carte[m];
	}
	return m * 64 + (unsigned)__builtin_ctzll(bits);
}

/* Le plus petit bloc d'au moins b octets parmi les FOUILLE_MAX premiers
 * de la liste l, ou NULL (meilleur ajustement, à coût borné). */
static char *plus_petit(struct libre *l, size_t b)
{
	char *choix = NULL;
	size_t t, meilleure = SIZE_MAX;

	for (int n = 0; l != NULL && n < FOUILLE_MAX; l = l->suivant, n++) {
		t = taille_de((char *)l);
		if (t >= b && t < meilleure) {
			choix = (char *)l;
			meilleure = t;
			if (t == b)
				break;
		}
	}
	return choix;
}

/* Un bloc libre d'au moins b octets (encore dans sa liste), ou NULL. Dans
 * une classe exacte, tout bloc convient ; dans une classe en intervalle, on
 * cherche le meilleur parmi les FOUILLE_MAX premiers ; sinon, tout bloc de
 * la première classe non vide plus grande convient, on y prend encore le
 * meilleur des premiers (les trous bien ajustés laissent moins de miettes). */
static char *cherche(struct arene *a, size_t b)
{
	unsigned i = classe_de(b), j;
	struct libre *l = a->listes[i];
	char *bloc;

	if (l != NULL) {
		if (i <= MAX_CLASSE_EXACTE / 16)
			return (char *)l;
		if ((bloc = plus_petit(l, b)) != NULL)
			return bloc;
	}
	j = premiere_non_vide(a, i + 1);
	return j < NB_LISTES ? plus_petit(a->listes[j], b) : NULL;
}

/* Prend b octets au bloc libre de t octets (encore dans sa liste) ; rend
 * le bloc occupé. On découpe par la fin : la partie qui reste libre garde
 * sa place et son maillon, et ne change de liste que si sa taille change de
 * classe (rarement, pour un grand trou qu'on entame par petits morceaux). */
static char *occupe(struct arene *a, char *bloc, size_t t, size_t b)
{
	size_t reste = t - b;

	if (reste < BLOC_MIN) { /* trop peu pour un bloc : tout est pris */
		retire(a, bloc, t);
		*en_tete(bloc) = t | EN_USAGE | PREC_EN_USAGE;
		*en_tete(bloc + t) |= PREC_EN_USAGE;
		return bloc;
	}
	if (classe_de(reste) != classe_de(t)) {
		retire(a, bloc, t);
		insere(a, bloc, reste);
	}
	marque_libre(bloc, reste);
	*en_tete(bloc + reste) = b | EN_USAGE; /* son précédent est libre */
	*en_tete(bloc + t) |= PREC_EN_USAGE;
	return bloc + reste;
}

/* ------------------------------------------------------------------------ */
/* Tronçons et sommet (sous le verrou)                                      */
/* ------------------------------------------------------------------------ */

/* Le sommet de l'ancien tronçon devient un bloc libre ordinaire. */
static void range_sommet(struct arene *a)
{
	if (a->sommet == NULL)
		return;
	marque_libre(a->sommet, taille_de(a->sommet));
	insere(a, a->sommet, taille_de(a->sommet));
	a->sommet = NULL;
}

/* TAILLE_TRONCON octets alignés sur TAILLE_TRONCON : on en projette le
 * double et on rend ce qui dépasse de part et d'autre. */
static char *projette_troncon(void)
{
	size_t double_taille = 2 * TAILLE_TRONCON;
	char *m = mmap(NULL, double_taille, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	char *debut, *fin;

	if (m == MAP_FAILED)
		return NULL;
	tas.stats.mmap++;
	debut = (char *)arrondi((uintptr_t)m, TAILLE_TRONCON);
	fin = debut + TAILLE_TRONCON;
	if (debut > m && munmap(m, (size_t)(debut - m)) == 0)
		tas.stats.munmap++;
	if (fin < m + double_taille && munmap(fin, (size_t)(m + double_taille - fin)) == 0)
		tas.stats.munmap++;
	return debut;
}

/* Un tronçon : [descripteur 24 o][blocs ...][sommet][épilogue 8 o]. L'épilogue
 * est un en-tête de taille 0 « en usage » : aucune fusion ne le franchit. */
static int nouveau_troncon(struct arene *a)
{
	char *base = projette_troncon(), *premier, *fin;
	struct troncon *tr = (struct troncon *)base;

	if (base == NULL)
		return -1;
	range_sommet(a);
	*tr = (struct troncon){ a, a->troncons, 0 };
	a->troncons = tr;
	premier = base + sizeof(struct troncon);
	fin = base + TAILLE_TRONCON - EN_TETE;
	*en_tete(fin) = EN_USAGE;
	*en_tete(premier) = (size_t)(fin - premier) | PREC_EN_USAGE;
	a->sommet = premier;
	a->sale = premier + EN_TETE;
	return 0;
}

/* Le sommet commence maintenant en s : ses pages sont touchées jusque-là. */
static inline void deplace_sommet(struct arene *a, char *s, size_t t)
{
	*en_tete(s) = t | PREC_EN_USAGE;
	a->sommet = s;
	if (s + EN_TETE > a->sale)
		a->sale = s + EN_TETE;
}

/* Taille b octets au début du sommet (il garde toujours au moins BLOC_MIN
 * octets, c'est donc toujours un vrai bloc). b < SEUIL_MMAP_MAX : un
 * tronçon neuf suffit toujours. */
static char *depuis_sommet(struct arene *a, size_t b)
{
	char *s = a->sommet;
	size_t t = s != NULL ? taille_de(s) : 0;

	if (t < b + BLOC_MIN) {
		if (nouveau_troncon(a) != 0)
			return NULL;
		s = a->sommet;
		t = taille_de(s);
	}
	*en_tete(s) = b | EN_USAGE | PREC_EN_USAGE;
	deplace_sommet(a, s + b, t - b);
	return s;
}

/* Au plus un rognage par seconde : les phases « tout libérer, tout
 * réallouer » ne refont pas sans cesse madvise et les fautes de page. */
static int rognage_permis(struct arene *a)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	if (a->dernier_rognage.tv_sec != 0 && t.tv_sec - a->dernier_rognage.tv_sec < 1)
		return 0;
	a->dernier_rognage = t;
	return 1;
}

/* Rend au système les pages touchées du sommet au-delà de GARDE_SOMMET,
 * si elles dépassent le seuil de rognage (deux fois le seuil mmap, comme
 * M_TRIM_THRESHOLD de la glibc). */
static void rogne_sommet(struct arene *a)
{
	size_t page = taille_page();
	uintptr_t debut = arrondi((uintptr_t)a->sommet + EN_TETE + GARDE_SOMMET, page);
	uintptr_t fin = (uintptr_t)a->sale & ~(uintptr_t)(page - 1);

	if (fin <= debut || fin - debut < 2 * lit_seuil_mmap() || !rognage_permis(a))
		return;
	if (madvise((void *)debut, fin - debut, MADV_DONTNEED) == 0)
		a->sale = (char *)debut;
}

/* ------------------------------------------------------------------------ */
/* Allouer, libérer, redimensionner dans le tas (sous le verrou)            */
/* ------------------------------------------------------------------------ */

/* Un bloc d'au moins b octets marqué en usage, pris dans l'arène de sa
 * taille ; *recycle dit s'il vient d'une liste libre (1) ou du sommet (0). */
static char *tas_alloue(size_t b, int *recycle)
{
	struct arene *a = arene_pour(b);
	char *bloc = cherche(a, b);

	*recycle = bloc != NULL;
	if (bloc != NULL)
		bloc = occupe(a, bloc, taille_de(bloc), b);
	else if ((bloc = depuis_sommet(a, b)) == NULL)
		return NULL;
	compte_octets((long long)taille_de(bloc));
	return bloc;
}

/* Comme tas_alloue, quand on sait qu'aucune liste ne convient. */
static char *sommet_seul(size_t b)
{
	char *bloc = depuis_sommet(arene_pour(b), b);

	if (bloc != NULL)
		compte_octets((long long)b);
	return bloc;
}

static void tas_libere(char *bloc)
{
	struct arene *a = arene_de(bloc);
	size_t h = *en_tete(bloc), t = h & ~DRAPEAUX, hs;
	char *suivant = bloc + t;

	compte_octets(-(long long)t);
	*en_tete(bloc) = h & ~(size_t)EN_USAGE; /* un second free sera vu */
	if (!(h & PREC_EN_USAGE)) {
		size_t tp = *en_tete(bloc - EN_TETE); /* pied du précédent */

		bloc -= tp;
		retire(a, bloc, tp);
		t += tp;
	}
	if (suivant == a->sommet) {
		deplace_sommet(a, bloc, t + taille_de(suivant));
		rogne_sommet(a);
		return;
	}
	hs = *en_tete(suivant);
	if (!(hs & EN_USAGE)) {
		retire(a, suivant, hs & ~DRAPEAUX);
		t += hs & ~DRAPEAUX;
	} else {
		*en_tete(suivant) = hs & ~(size_t)PREC_EN_USAGE;
	}
	marque_libre(bloc, t);
	insere(a, bloc, t);
}

/* Coupe un bloc en usage en deux blocs en usage (b octets, puis le reste) ;
 * rend le second. */
static char *decoupe(char *bloc, size_t b)
{
	size_t h = *en_tete(bloc);
	char *reste = bloc + b;

	*en_tete(bloc) = b | (h & DRAPEAUX);
	*en_tete(reste) = ((h & ~DRAPEAUX) - b) | EN_USAGE | PREC_EN_USAGE;
	return reste;
}

/* Le bloc grandit dans son voisin libre : 1 si c'est fait. */
static int absorbe_suivant(struct arene *a, char *bloc, size_t b)
{
	size_t h = *en_tete(bloc), t = h & ~DRAPEAUX;
	char *suivant = bloc + t;
	size_t hs = *en_tete(suivant), ts = hs & ~DRAPEAUX;

	if (suivant == a->sommet) {
		if (t + ts < b + BLOC_MIN)
			return 0;
		*en_tete(bloc) = b | (h & DRAPEAUX);
		deplace_sommet(a, bloc + b, t + ts - b);
		compte_octets((long long)(b - t));
		return 1;
	}
	if ((hs & EN_USAGE) || t + ts < b)
		return 0;
	retire(a, suivant, ts);
	*en_tete(bloc) = (t + ts) | (h & DRAPEAUX);
	*en_tete(suivant + ts) |= PREC_EN_USAGE;
	compte_octets((long long)ts);
	if (t + ts - b >= BLOC_MIN)
		tas_libere(decoupe(bloc, b));
	return 1;
}

/* realloc sur place : rétrécir (le reste est libéré) ou grandir dans le
 * voisin suivant. 1 si c'est fait, 0 s'il faut déplacer le bloc (aussi
 * quand il deviendrait trop grand pour l'arène des petits). */
static int tas_redimensionne(char *bloc, size_t b)
{
	struct arene *a = arene_de(bloc);
	size_t t = taille_de(bloc);

	if (b <= t) {
		if (t - b >= BLOC_MIN)
			tas_libere(decoupe(bloc, b));
		return 1;
	}
	if (a == PETITS && b > BLOC_PETIT_MAX)
		return 0;
	return absorbe_suivant(a, bloc, b);
}

/* ------------------------------------------------------------------------ */
/* Grands blocs : mmap et munmap                                            */
/* ------------------------------------------------------------------------ */

/* [... décalage][en-tête][charge utile alignée sur a ...] : le décalage
 * (charge - début de la projection) est rangé juste devant l'en-tête, la
 * longueur de la projection dans l'en-tête. */
static void *grand_alloue(size_t n, size_t a)
{
	size_t longueur, decalage;
	char *m;
	int pris;

	if (a < ALIGNEMENT)
		a = ALIGNEMENT;
	longueur = arrondi(n + a, taille_page());
	m = mmap(NULL, longueur, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	decalage = arrondi((uintptr_t)m + ALIGNEMENT, a) - (uintptr_t)m;
	((size_t *)(m + decalage))[-2] = decalage;
	((size_t *)(m + decalage))[-1] = longueur | PROJETE | EN_USAGE;
	pris = verrouille();
	tas.stats.mmap++;
	tas.stats.servis_reserve++;
	compte_octets((long long)longueur);
	deverrouille(pris);
	return m + decalage;
}

static inline size_t decalage_de(void *p)
{
	return ((size_t *)p)[-2];
}

/* Comme la glibc : qui libère un grand bloc en redemandera de pareils, le
 * tas les servira désormais sans appel système. */
static void releve_seuil(size_t longueur)
{
	if (longueur > lit_seuil_mmap() && longueur <= SEUIL_MMAP_MAX)
		__atomic_store_n(&seuil_mmap, longueur, __ATOMIC_RELAXED);
}

static void grand_libere(void *p, size_t h)
{
	size_t longueur = h & ~DRAPEAUX;
	int pris;

	if (munmap((char *)p - decalage_de(p), longueur) != 0)
		erreur_fatale("free() : pointeur invalide (munmap a échoué)");
	pris = verrouille();
	tas.stats.munmap++;
	compte_octets(-(long long)longueur);
	deverrouille(pris);
	releve_seuil(longueur);
}

/* mremap : le noyau déplace les pages, rien n'est copié. NULL si ça échoue. */
static void *grand_remappe(void *p, size_t h, size_t n)
{
	size_t longueur = h & ~DRAPEAUX, nouvelle = arrondi(n + ALIGNEMENT, taille_page());
	char *m;
	int pris;

	if (decalage_de(p) != ALIGNEMENT)
		return NULL; /* bloc sur-aligné : l'alignement ne survivrait pas */
	m = mremap((char *)p - ALIGNEMENT, longueur, nouvelle, MREMAP_MAYMOVE);
	if (m == MAP_FAILED)
		return NULL;
	((size_t *)(m + ALIGNEMENT))[-1] = nouvelle | PROJETE | EN_USAGE;
	pris = verrouille();
	tas.stats.mmap++; /* mremap, compté avec les mmap */
	compte_octets((long long)nouvelle - (long long)longueur);
	deverrouille(pris);
	return m + ALIGNEMENT;
}

/* ------------------------------------------------------------------------ */
/* Caches des fils                                                          */
/* ------------------------------------------------------------------------ */

/* Au plus 4 Kio par classe (64 blocs de 32 octets, 16 de 256) : la
 * mémoire qui dort dans les caches ne fusionne avec rien. */
static unsigned capacite(unsigned k)
{
	unsigned c = 4096 / (k * 16);

	return c > 64 ? 64 : c;
}

static pthread_key_t cle_cache;
static int cle_creee;
static pthread_once_t une_fois = PTHREAD_ONCE_INIT;

static void detruit_cache(void *arg);

static void cree_cle(void)
{
	cle_creee = pthread_key_create(&cle_cache, detruit_cache) == 0;
}

static struct cache *cree_cache(void)
{
	struct cache *c = NULL;
	int recycle, pris = verrouille();
	char *bloc = tas_alloue(taille_bloc(sizeof(struct cache)), &recycle);

	if (bloc != NULL) {
		c = charge_de(bloc);
		memset(c, 0, sizeof(*c));
		for (unsigned k = 2; k <= MAX_CLASSE_CACHE; k++)
			c->place[k] = (uint16_t)capacite(k);
		c->suivant = tas.caches;
		if (tas.caches != NULL)
			tas.caches->precedent = c;
		tas.caches = c;
	}
	deverrouille(pris);
	if (c == NULL)
		return NULL;
	mon_cache = c; /* avant setspecific, qui peut appeler calloc */
	pthread_once(&une_fois, cree_cle);
	if (cle_creee)
		pthread_setspecific(cle_cache, c);
	return c;
}

/* Le cache du fil, créé au premier besoin ; NULL quand le fil se termine
 * (ses derniers free passent alors directement au tas). */
static struct cache *cache_du_fil(void)
{
	if (mon_cache != NULL)
		return mon_cache;
	return fil_termine ? NULL : cree_cache();
}

static inline void empile(struct cache *c, unsigned k, void *p)
{
	struct maillon *m = p;

	m->suivant = c->tete[k];
	c->tete[k] = m;
	c->place[k]--;
}

/* Garde les « garde » blocs les plus récents (les plus chauds dans le cache
 * du processeur) et rend les autres au tas sous une seule prise du verrou. */
static void vide_cache(struct cache *c, unsigned k, unsigned garde)
{
	struct maillon *m = c->tete[k], *reste = m;
	int pris;

	if (garde == 0) {
		c->tete[k] = NULL;
	} else {
		for (unsigned n = 1; n < garde && m != NULL; n++)
			m = m->suivant;
		reste = m != NULL ? m->suivant : NULL;
		if (m != NULL)
			m->suivant = NULL;
	}
	pris = verrouille();
	while (reste != NULL) {
		struct maillon *suivant = reste->suivant; /* tas_libere écrase le maillon */

		tas_libere(bloc_de(reste));
		c->place[k]++;
		reste = suivant;
	}
	deverrouille(pris);
}

/* Pile vide : un lot de blocs de la classe k (le quart de la capacité)
 * pris au tas d'un coup ; le premier est servi, les autres vont dans le
 * cache. Des blocs de même taille voisins : libérés ensemble, ils
 * fusionnent. */
static void *remplit_cache(struct cache *c, unsigned k)
{
	size_t b = (size_t)k * 16;
	unsigned lot = capacite(k) / 4;
	int recycle, pris = verrouille();
	char *premier = tas_alloue(b, &recycle), *bloc;

	if (premier != NULL) {
		tas.stats.servis_reserve++;
		tas.stats.recycles += (size_t)recycle;
		for (unsigned i = 1; i < lot && c->place[k] > 0; i++) {
			/* venu du sommet : aucune liste n'a de quoi, inutile de chercher */
			bloc = recycle ? tas_alloue(b, &recycle) : sommet_seul(b);
			if (bloc == NULL)
				break;
			empile(c, k, charge_de(bloc));
		}
	}
	deverrouille(pris);
	if (premier == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	return charge_de(premier);
}

/* Fin d'un fil : ses blocs retournent au tas, ses compteurs aux orphelins. */
static void detruit_cache(void *arg)
{
	struct cache *c = arg;
	int pris;

	mon_cache = NULL;
	fil_termine = 1;
	for (unsigned k = 2; k <= MAX_CLASSE_CACHE; k++)
		vide_cache(c, k, 0);
	for (int i = 0; i < NB_COMPTEURS; i++)
		__atomic_add_fetch(&orphelins[i], c->compteurs[i], __ATOMIC_RELAXED);
	pris = verrouille();
	if (c->precedent != NULL)
		c->precedent->suivant = c->suivant;
	else
		tas.caches = c->suivant;
	if (c->suivant != NULL)
		c->suivant->precedent = c->precedent;
	tas_libere(bloc_de(c));
	deverrouille(pris);
}

/* ------------------------------------------------------------------------ */
/* malloc, free, realloc                                                    */
/* ------------------------------------------------------------------------ */

/* Fin commune des allocations dans le tas : compter le bloc servi, rendre
 * le verrou, puis sa charge (ou NULL et ENOMEM). */
static void *servi(char *bloc, int recycle, int pris)
{
	if (bloc != NULL) {
		tas.stats.servis_reserve++;
		tas.stats.recycles += (size_t)recycle;
	}
	deverrouille(pris);
	if (bloc == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	return charge_de(bloc);
}

static void *depuis_tas(size_t b)
{
	int recycle, pris = verrouille();
	char *bloc = tas_alloue(b, &recycle);

	return servi(bloc, recycle, pris);
}

static void *alloue_lent(struct cache *c, size_t n)
{
	size_t b;

	if (n > MAX_DEMANDE) {
		errno = ENOMEM;
		return NULL;
	}
	b = taille_bloc(n);
	if (b >= lit_seuil_mmap())
		return grand_alloue(n, ALIGNEMENT);
	if (c == NULL)
		c = cache_du_fil();
	if (c != NULL && b <= MAX_BLOC_CACHE)
		return remplit_cache(c, (unsigned)(b / 16));
	return depuis_tas(b);
}

/* Le chemin rapide : la pile du cache de cette taille. */
static inline void *alloue(struct cache *c, size_t n)
{
	if (__builtin_expect(c != NULL && n <= MAX_DEMANDE_CACHE, 1)) {
		unsigned k = n <= BLOC_MIN - EN_TETE ? 2 : (unsigned)((n + EN_TETE + ALIGNEMENT - 1) / 16);
		struct maillon *m = c->tete[k];

		if (__builtin_expect(m != NULL, 1)) {
			c->tete[k] = m->suivant;
			c->place[k]++;
			compte(c, SORTIS_CACHE);
			return m;
		}
	}
	return alloue_lent(c, n);
}

static inline size_t en_tete_de(void *p)
{
	return ((size_t *)p)[-1];
}

static void libere_lent(struct cache *c, void *p, size_t h)
{
	int pris;

	if (h & PROJETE) {
		grand_libere(p, h);
		return;
	}
	if (!(h & EN_USAGE))
		erreur_fatale("free() : bloc déjà libre (double libération ?) ou pointeur invalide");
	if (c == NULL)
		c = cache_du_fil();
	if (c != NULL && (h >> 4) <= MAX_CLASSE_CACHE) {
		unsigned k = (unsigned)(h >> 4);

		if (c->place[k] == 0) /* pile pleine : la moitié au tas */
			vide_cache(c, k, capacite(k) / 2);
		empile(c, k, p);
		return;
	}
	pris = verrouille();
	tas_libere(bloc_de(p));
	deverrouille(pris);
}

static inline void libere(struct cache *c, void *p)
{
	size_t h;

	if (p == NULL)
		return;
	h = en_tete_de(p);
	/* petit bloc du tas en usage, et place dans la pile : on empile */
	if (__builtin_expect(c != NULL && (h & (PROJETE | EN_USAGE)) == EN_USAGE && (h >> 4) <= MAX_CLASSE_CACHE
			     && c->place[h >> 4] != 0, 1)) {
		empile(c, (unsigned)(h >> 4), p);
		return;
	}
	libere_lent(c, p, h);
}

static size_t taille_utile(void *p)
{
	size_t h = en_tete_de(p);

	if (h & PROJETE)
		return (h & ~DRAPEAUX) - decalage_de(p);
	return (h & ~DRAPEAUX) - EN_TETE;
}

/* Déplacer : nouveau bloc, copie de la plus petite des deux tailles. */
static void *deplace(struct cache *c, void *p, size_t n, size_t marge)
{
	size_t ancienne = taille_utile(p);
	void *q = alloue(c, n + marge);

	if (q == NULL)
		return NULL; /* l'ancien bloc reste valide */
	memcpy(q, p, ancienne < n ? ancienne : n);
	libere(c, p);
	return q;
}

/* Un bloc du tas qui doit changer de place pour grandir en reçoit un peu
 * plus (1/MARGE_REALLOC) : un tampon qui grandit par petits pas (chaîne,
 * tableau dynamique) grandit ensuite sur place au lieu d'être recopié à
 * chaque pas. C'est le jeu des classes de tailles géométriques de mimalloc
 * ou tcmalloc. La marge qui n'est pas encore écrite ne coûte que de l'espace
 * d'adresses : ses pages n'entrent pas dans la mémoire résidente. */
static size_t marge_realloc(size_t ancienne, size_t n)
{
	if (n <= ancienne || n > lit_seuil_mmap())
		return 0;
	return n / MARGE_REALLOC;
}

static void *grand_redimensionne(struct cache *c, void *p, size_t h, size_t n)
{
	size_t utile = taille_utile(p);
	void *q;

	if (n <= utile && n >= utile / 2)
		return p; /* rendre moins de la moitié ne vaut pas un appel système */
	if (taille_bloc(n) >= lit_seuil_mmap() && (q = grand_remappe(p, h, n)) != NULL)
		return q;
	return deplace(c, p, n, 0);
}

static void *redimensionne(struct cache *c, void *p, size_t n)
{
	size_t h, t, b;
	int pris, fait;

	if (p == NULL)
		return alloue(c, n);
	if (n == 0) {
		libere(c, p); /* comme la glibc : libère et rend NULL */
		return NULL;
	}
	if (n > MAX_DEMANDE) {
		errno = ENOMEM;
		return NULL;
	}
	h = en_tete_de(p);
	if (h & PROJETE)
		return grand_redimensionne(c, p, h, n);
	if (!(h & EN_USAGE))
		erreur_fatale("realloc() : bloc déjà libéré ou pointeur invalide");
	t = h & ~DRAPEAUX;
	b = taille_bloc(n);
	if (b <= t && t - b < BLOC_MIN)
		return p; /* tient, et il n'y a rien à rendre : pas besoin du verrou */
	if (b < lit_seuil_mmap()) {
		pris = verrouille();
		fait = tas_redimensionne(bloc_de(p), b);
		deverrouille(pris);
		if (fait)
			return p;
	}
	return deplace(c, p, n, marge_realloc(t, n));
}

/* ------------------------------------------------------------------------ */
/* Blocs alignés                                                            */
/* ------------------------------------------------------------------------ */

/* b + a + BLOC_MIN octets pris au tas, puis découpés : devant, de quoi
 * aligner la charge (au moins un bloc entier, rendu au tas) ; derrière, le
 * surplus, rendu aussi. */
static void *depuis_tas_aligne(size_t b, size_t a)
{
	int recycle, pris = verrouille();
	char *bloc = tas_alloue(b + a + BLOC_MIN, &recycle), *devant, *p, *q;

	if (bloc != NULL) {
		p = charge_de(bloc);
		if ((uintptr_t)p % a != 0) {
			q = (char *)arrondi((uintptr_t)p + BLOC_MIN, a);
			devant = bloc;
			bloc = decoupe(devant, (size_t)(q - p));
			tas_libere(devant);
		}
		if (taille_de(bloc) - b >= BLOC_MIN)
			tas_libere(decoupe(bloc, b));
	}
	return servi(bloc, recycle, pris);
}

/* a : puissance de 2. */
static void *alloue_aligne(struct cache *c, size_t a, size_t n)
{
	size_t b;

	if (a <= ALIGNEMENT)
		return alloue(c, n);
	if (n > MAX_DEMANDE || a > MAX_DEMANDE - n) {
		errno = ENOMEM;
		return NULL;
	}
	b = taille_bloc(n);
	if (b + a >= lit_seuil_mmap())
		return grand_alloue(n, a);
	return depuis_tas_aligne(b, a);
}

static int puissance_de_2(size_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* ------------------------------------------------------------------------ */
/* Les fonctions exportées                                                  */
/* ------------------------------------------------------------------------ */

void *avance_malloc(size_t taille)
{
	struct cache *c = mon_cache;

	compte(c, APPEL_MALLOC);
	return alloue(c, taille);
}

void avance_free(void *ptr)
{
	struct cache *c = mon_cache;

	if (ptr == NULL)
		return;
	compte(c, APPEL_FREE);
	libere(c, ptr);
}

void *avance_calloc(size_t n, size_t taille)
{
	struct cache *c = mon_cache;
	size_t total;
	void *p;

	compte(c, APPEL_CALLOC);
	if (__builtin_mul_overflow(n, taille, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	p = alloue(c, total);
	/* un bloc projeté sort du noyau déjà à zéro ; un bloc du tas a servi */
	if (p != NULL && !(en_tete_de(p) & PROJETE))
		memset(p, 0, total);
	return p;
}

void *avance_realloc(void *ptr, size_t taille)
{
	struct cache *c = mon_cache;

	compte(c, APPEL_REALLOC);
	return redimensionne(c, ptr, taille);
}

void *avance_reallocarray(void *ptr, size_t n, size_t taille)
{
	size_t total;

	if (__builtin_mul_overflow(n, taille, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return avance_realloc(ptr, total);
}

int avance_posix_memalign(void **ptr, size_t alignement, size_t taille)
{
	struct cache *c = mon_cache;
	int errno_avant = errno;
	void *p;

	if (!puissance_de_2(alignement) || alignement % sizeof(void *) != 0)
		return EINVAL; /* *ptr intact */
	compte(c, APPEL_MALLOC);
	p = alloue_aligne(c, alignement, taille);
	errno = errno_avant; /* posix_memalign rend l'erreur, sans toucher errno */
	if (p == NULL)
		return ENOMEM;
	*ptr = p;
	return 0;
}

void *avance_aligned_alloc(size_t alignement, size_t taille)
{
	struct cache *c = mon_cache;

	if (!puissance_de_2(alignement)) {
		errno = EINVAL;
		return NULL;
	}
	compte(c, APPEL_MALLOC);
	return alloue_aligne(c, alignement, taille);
}

void *avance_memalign(size_t alignement, size_t taille)
{
	struct cache *c = mon_cache;
	size_t a = ALIGNEMENT;

	if (alignement > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	while (a < alignement) /* la glibc arrondit à la puissance de 2 */
		a *= 2;
	compte(c, APPEL_MALLOC);
	return alloue_aligne(c, a, taille);
}

void *avance_valloc(size_t taille)
{
	struct cache *c = mon_cache;

	compte(c, APPEL_MALLOC);
	return alloue_aligne(c, taille_page(), taille);
}

void *avance_pvalloc(size_t taille)
{
	struct cache *c = mon_cache;
	size_t page = taille_page();

	if (taille > MAX_DEMANDE) {
		errno = ENOMEM;
		return NULL;
	}
	compte(c, APPEL_MALLOC);
	return alloue_aligne(c, page, taille == 0 ? page : arrondi(taille, page));
}

size_t avance_malloc_usable_size(void *ptr)
{
	return ptr == NULL ? 0 : taille_utile(ptr);
}

/* ------------------------------------------------------------------------ */
/* Vérification du tas (pour les tests)                                     */
/* ------------------------------------------------------------------------ */

static char anomalie[200];

static const char *signale(const char *quoi, const void *ou)
{
	snprintf(anomalie, sizeof(anomalie), "%s (bloc %p)", quoi, ou);
	return anomalie;
}

/* Les blocs d'un tronçon, de proche en proche ; *libres : blocs libres vus. */
static const char *verifie_troncon(struct arene *a, struct troncon *tr, size_t *libres)
{
	char *bloc = (char *)tr + sizeof(*tr), *fin = (char *)tr + TAILLE_TRONCON - EN_TETE;
	int precedent_en_usage = 1;

	if (tr->arene != a || arene_de(bloc) != a)
		return signale("tronçon rangé dans la mauvaise arène, ou mal aligné", tr);
	while (bloc < fin) {
		size_t h = *en_tete(bloc), t = h & ~DRAPEAUX;

		if (t < BLOC_MIN || t % ALIGNEMENT != 0 || t > (size_t)(fin - bloc))
			return signale("taille de bloc invalide", bloc);
		if (!!(h & PREC_EN_USAGE) != precedent_en_usage)
			return signale("bit « précédent en usage » faux", bloc);
		if (!(h & EN_USAGE) && !precedent_en_usage)
			return signale("deux blocs libres voisins", bloc);
		if (bloc == a->sommet && bloc + t != fin)
			return signale("le sommet n'est pas le dernier bloc du tronçon", bloc);
		if (!(h & EN_USAGE) && bloc != a->sommet) {
			if (*en_tete(bloc + t - EN_TETE) != t)
				return signale("pied d'un bloc libre faux", bloc);
			(*libres)++;
		}
		precedent_en_usage = (h & EN_USAGE) != 0;
		bloc += t;
	}
	if (bloc != fin || (*en_tete(fin) & ~(size_t)PREC_EN_USAGE) != EN_USAGE
	    || !!(*en_tete(fin) & PREC_EN_USAGE) != precedent_en_usage)
		return signale("épilogue abîmé", fin);
	return NULL;
}

/* Chaque liste : blocs libres de sa classe, liens doubles cohérents. */
static const char *verifie_listes(struct arene *a, size_t *libres)
{
	for (unsigned i = 0; i < NB_LISTES; i++) {
		int bit = (a->carte[i / 64] >> (i % 64)) & 1;
		struct libre *precedent = NULL;

		if (bit != (a->listes[i] != NULL))
			return signale("carte de bits en désaccord avec une liste", a->listes[i]);
		for (struct libre *l = a->listes[i]; l != NULL; precedent = l, l = l->suivant) {
			if ((l->en_tete & EN_USAGE) || classe_de(l->en_tete & ~DRAPEAUX) != i)
				return signale("bloc en usage ou de la mauvaise classe dans une liste", l);
			if (arene_de((char *)l) != a)
				return signale("bloc libre dans la liste d'une autre arène", l);
			if (l->precedent != precedent)
				return signale("lien « précédent » faux dans une liste", l);
			(*libres)++;
		}
	}
	return NULL;
}

static const char *verifie_arene(struct arene *a)
{
	size_t dans_tas = 0, dans_listes = 0;
	const char *erreur = NULL;

	for (struct troncon *tr = a->troncons; tr != NULL && erreur == NULL; tr = tr->suivant)
		erreur = verifie_troncon(a, tr, &dans_tas);
	if (erreur == NULL)
		erreur = verifie_listes(a, &dans_listes);
	if (erreur == NULL && dans_tas != dans_listes)
		erreur = signale("des blocs libres manquent aux listes (ou y sont deux fois)", NULL);
	return erreur;
}

const char *avance_verifie_tas(void)
{
	int pris = verrouille();
	const char *erreur = verifie_arene(PETITS);

	if (erreur == NULL)
		erreur = verifie_arene(AUTRES);
	deverrouille(pris);
	return erreur;
}

/* ------------------------------------------------------------------------ */
/* Statistiques, fork, début et fin du programme                            */
/* ------------------------------------------------------------------------ */

void hp_stats_lire(struct hp_stats *s)
{
	size_t n[NB_COMPTEURS];
	int pris = verrouille();

	*s = tas.stats;
	for (int i = 0; i < NB_COMPTEURS; i++)
		n[i] = __atomic_load_n(&orphelins[i], __ATOMIC_RELAXED);
	for (struct cache *c = tas.caches; c != NULL; c = c->suivant)
		for (int i = 0; i < NB_COMPTEURS; i++)
			n[i] += __atomic_load_n(&c->compteurs[i], __ATOMIC_RELAXED);
	deverrouille(pris);
	s->malloc = n[APPEL_MALLOC];
	s->free = n[APPEL_FREE];
	s->realloc = n[APPEL_REALLOC];
	s->calloc = n[APPEL_CALLOC];
	s->servis_reserve += n[SORTIS_CACHE];
	s->recycles += n[SORTIS_CACHE];
	s->repli_libc = 0; /* jamais : tout passe par cet allocateur */
}

void hp_stats_afficher(int fd)
{
	struct hp_stats s;
	char texte[1024];
	int n;

	hp_stats_lire(&s);
	/* snprintf + write : pas de malloc caché dans un FILE * */
	n = snprintf(texte, sizeof(texte),
		     "[hp] statistiques de l'allocateur avancé (hp_avance)\n"
		     "[hp]   appels : malloc %zu, free %zu, realloc %zu, calloc %zu\n"
		     "[hp]   blocs servis %zu, dont recyclés %zu ; repli sur la libc %zu\n"
		     "[hp]   appels système : mmap %zu, munmap %zu ; seuil mmap %zu octets\n"
		     "[hp]   octets en usage %zu, pic %zu\n",
		     s.malloc, s.free, s.realloc, s.calloc, s.servis_reserve, s.recycles, s.repli_libc,
		     s.mmap, s.munmap, lit_seuil_mmap(), s.octets_utilises, s.pic);
	if (n > 0 && write(fd, texte, (size_t)n < sizeof(texte) ? (size_t)n : sizeof(texte) - 1) < 0)
		return; /* rien à faire de plus si stderr est fermé */
}

/* Pas de fork au milieu d'une opération sur le tas : le fils hériterait de
 * listes à moitié modifiées et d'un verrou pris pour toujours. (Le verrou
 * est pris même si le processus n'a qu'un fil : c'est sans danger.) */
static void avant_fork(void)
{
	pthread_mutex_lock(&verrou);
}

static void apres_fork_parent(void)
{
	pthread_mutex_unlock(&verrou);
}

static void apres_fork_fils(void)
{
	verrou = (pthread_mutex_t)PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
}

/* Copie de stderr prise au démarrage : certains programmes (ls, sort…)
 * ferment stderr avant la fin, le résumé de HP_STATS passerait à la trappe. */
static int sortie_stats = -1;

static int stats_demandees(void)
{
	const char *s = getenv("HP_STATS");

	return s != NULL && *s != '\0' && *s != '0';
}

__attribute__((constructor)) static void debut(void)
{
	if (stats_demandees())
		sortie_stats = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	pthread_once(&une_fois, cree_cle); /* tôt : jamais au milieu d'un fork */
	pthread_atfork(avant_fork, apres_fork_parent, apres_fork_fils);
}

__attribute__((destructor)) static void fin(void)
{
	if (sortie_stats >= 0)
		hp_stats_afficher(sortie_stats);
}

/* ------------------------------------------------------------------------ */
/* Les noms de la libc (absents de la version pour les tests sous ASan)     */
/* ------------------------------------------------------------------------ */

#ifndef SANS_NOMS_LIBC
/* Des alias : malloc est la même fonction qu'avance_malloc (pas d'appel en
 * plus, pas de passage par la PLT). */
#define ALIAS(nom) __attribute__((alias(nom)))
void *malloc(size_t taille) ALIAS("avance_malloc");
void free(void *ptr) ALIAS("avance_free");
void *calloc(size_t n, size_t taille) ALIAS("avance_calloc");
void *realloc(void *ptr, size_t taille) ALIAS("avance_realloc");
void *reallocarray(void *ptr, size_t n, size_t taille) ALIAS("avance_reallocarray");
int posix_memalign(void **ptr, size_t alignement, size_t taille) ALIAS("avance_posix_memalign");
void *aligned_alloc(size_t alignement, size_t taille) ALIAS("avance_aligned_alloc");
void *memalign(size_t alignement, size_t taille) ALIAS("avance_memalign");
void *valloc(size_t taille) ALIAS("avance_valloc");
void *pvalloc(size_t taille) ALIAS("avance_pvalloc");
size_t malloc_usable_size(void *ptr) ALIAS("avance_malloc_usable_size");
#endif
