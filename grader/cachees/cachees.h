/*
 * cachees.h : outils des tests cachés (réservés aux enseignants).
 *
 * Le cœur est un MODÈLE EXACT de l'allocateur attendu : curseur « bump » parti
 * de 0, liste libre « first fit » parcourue depuis sa tête, bloc réutilisé
 * sans découpage (il garde sa taille), bloc libéré empilé en tête. Toute
 * solution correcte rend exactement les adresses que prévoit le modèle ; à la
 * moindre différence, le test échoue en disant ce qui était attendu.
 *
 * Tous les noms visibles de l'extérieur commencent par « cachees_ » (ou
 * « suite_cachee_ ») pour ne jamais entrer en conflit avec ceux d'un étudiant.
 */
#ifndef CACHEES_H
#define CACHEES_H

#include "tests/commun.h"

#include <stddef.h>

/* Une suite par question. */
Suite *suite_cachee_q13(void);
Suite *suite_cachee_q16(void);
Suite *suite_cachee_q18(void);
Suite *suite_cachee_q20(void);
Suite *suite_cachee_q22(void);

/* Générateur pseudo-aléatoire à graine fixe (LCG 64 bits de Knuth). */
static inline unsigned long cachees_alea(unsigned long *graine)
{
	*graine = *graine * 6364136223846793005UL + 1442695040888963407UL;
	return *graine >> 33;
}

/* « reserve.mem + 4128 », « NULL » ou « 0x... (hors de la réserve) ». */
const char *cachees_decrit(const void *p, char *tampon, size_t taille);

/* Tailles qui encadrent l'alignement et les puissances de 2. */
extern const size_t cachees_tailles_limites[];
extern const int cachees_nb_tailles_limites;

/* ------------------------------------------------------------------------ */
/* Le modèle                                                                */
/* ------------------------------------------------------------------------ */

#define CACHEES_MAX_BLOCS 16384

struct cachees_modele {
	char quoi[160];         /* nom et graine de la charge, pour les messages */
	unsigned long graine;   /* graine de la charge (motifs des données) */
	int operation;          /* numéro de l'opération en cours */
	int manuel;             /* 1 : « libérer » = empiler à la main (sans __hp_free) */
	size_t curseur;         /* octets distribués en fin de réserve */
	/* Tous les blocs connus (créés par __hp_malloc ou fabriqués) : adresse
	 * de l'en-tête et taille attendue dans l'en-tête. */
	int nb_blocs;
	char *entete[CACHEES_MAX_BLOCS];
	size_t taille[CACHEES_MAX_BLOCS];
	/* La liste libre attendue, tête d'abord (numéros de blocs). */
	int nb_libres;
	int libres[CACHEES_MAX_BLOCS];
	/* Les blocs vivants, dans l'ordre d'allocation : numéro, taille
	 * demandée, motif écrit dans les données. */
	int nb_vivants;
	int vivant[CACHEES_MAX_BLOCS];
	size_t demande[CACHEES_MAX_BLOCS];
	unsigned motif[CACHEES_MAX_BLOCS];
};

/* Un modèle neuf (réserve neuve, liste libre vide). Il est grand : le
 * déclarer static dans le test. */
void cachees_modele_init(struct cachees_modele *m, const char *nom, unsigned long graine,
			 int manuel);

/* Change le nom et la graine cités par les messages. */
void cachees_modele_nomme(struct cachees_modele *m, const char *nom, unsigned long graine);

/* Ajoute en QUEUE de la liste libre attendue un bloc fabriqué hors de la
 * réserve (à chaîner aussi dans la vraie liste par l'appelant). */
void cachees_modele_ajoute_fabrique(struct cachees_modele *m, struct bloc *b);

/* Ce que doit faire __hp_malloc(taille) : position dans la liste libre du
 * bloc réutilisé (>= 0), -1 pour un bloc neuf, -2 s'il n'y a plus de place. */
int cachees_modele_prevoit(const struct cachees_modele *m, size_t taille);

/* Appelle __hp_malloc(taille), vérifie l'adresse, l'en-tête et la liste libre
 * contre le modèle, remplit les données d'un motif et enregistre le bloc
 * vivant (à la fin de la liste des vivants). Rend le pointeur (NULL si le
 * modèle prévoyait l'échec, vérifié avec errno). */
char *cachees_modele_malloc(struct cachees_modele *m, size_t taille);

/* Libère le vivant numéro k (0 = le plus ancien) : relit ses données, puis
 * __hp_free (ou empilement à la main si m->manuel) et vérifie la liste libre. */
void cachees_modele_free(struct cachees_modele *m, int k);

/* __hp_free(NULL) : la liste libre ne doit pas bouger. */
void cachees_modele_free_null(struct cachees_modele *m);

/* Parcourt toute la vraie liste libre et la compare au modèle. */
void cachees_modele_verifie_liste(const struct cachees_modele *m, const char *quand);

/* Relit les données et l'en-tête de tous les blocs vivants. */
void cachees_modele_verifie_vivants(const struct cachees_modele *m, const char *quand);

/* ------------------------------------------------------------------------ */
/* Charges aléatoires pilotées par le modèle                                */
/* ------------------------------------------------------------------------ */

enum cachees_ordre {
	CACHEES_ALEATOIRE, /* libérations au hasard, __hp_free(NULL) intercalés */
	CACHEES_LIFO,      /* lots alloués, puis libérés du dernier au premier */
	CACHEES_FIFO,      /* lots alloués, puis libérés du premier au dernier */
	CACHEES_EGALES,    /* séries de blocs de même taille */
};

enum cachees_tailles {
	CACHEES_PETITES,   /* 1 à 256 octets */
	CACHEES_VARIEES,   /* surtout petites, parfois jusqu'à 8 Kio ou limites */
	CACHEES_LIMITES,   /* seulement cachees_tailles_limites (jusqu'à ~1 Mio) */
};

struct cachees_charge {
	const char *nom;
	unsigned long graine;
	int operations;
	enum cachees_ordre ordre;
	enum cachees_tailles tailles;
	/* 1 : les libérations empilent à la main (tests de la Q18, qui ne
	 * dépendent pas de __hp_free), et une demande qui doit prendre un bloc
	 * neuf est faite avec une taille déjà arrondie (l'arrondi des blocs neufs
	 * est noté en Q13). */
	int manuel;
};

/* Joue les n charges à la suite sur un même modèle, parti d'une réserve
 * neuve (le curseur « static » ne repart jamais de 0 : un seul appel par
 * test) ; chaque charge finit par tout libérer puis redemander 64 blocs.
 * Échoue au premier écart avec le modèle. */
void cachees_charges(const struct cachees_charge *c, int n);

#endif
