/*
 * cachees_modele.c : le modèle exact de l'allocateur et les charges
 * aléatoires qu'il pilote (voir cachees.h).
 */
#include "cachees.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define EN_TETE TAILLE_EN_TETE

const size_t cachees_tailles_limites[] = {
	1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65,
	4095, 4096, 4097, 65535, 65536, 65537,
	((size_t)1 << 20) - 17, ((size_t)1 << 20) - 1, (size_t)1 << 20, ((size_t)1 << 20) + 1,
};
const int cachees_nb_tailles_limites =
	(int)(sizeof(cachees_tailles_limites) / sizeof(cachees_tailles_limites[0]));

/* Le modèle en cours : cachees_decrit y reconnaît les blocs fabriqués. */
static const struct cachees_modele *modele_courant;

const char *cachees_decrit(const void *p, char *tampon, size_t taille)
{
	uintptr_t debut = ADR(reserve.mem);
	const struct cachees_modele *m = modele_courant;

	if (p == NULL) {
		snprintf(tampon, taille, "NULL");
		return tampon;
	}
	if (debut != 0 && ADR(p) >= debut && ADR(p) <= debut + reserve.taille) {
		snprintf(tampon, taille, "reserve.mem + %zu", (size_t)(ADR(p) - debut));
		return tampon;
	}
	/* un bloc fabriqué hors de la réserve : nommé par son numéro, pour que
	 * le message soit le même d'une exécution à l'autre */
	for (int i = 0; m != NULL && i < m->nb_blocs; i++) {
		if (ADR(p) == ADR(m->entete[i])) {
			snprintf(tampon, taille, "l'en-tête du bloc fabriqué n°%d", i);
			return tampon;
		}
		if (ADR(p) == ADR(m->entete[i]) + EN_TETE) {
			snprintf(tampon, taille, "les données du bloc fabriqué n°%d", i);
			return tampon;
		}
	}
	snprintf(tampon, taille, "%p (hors de la réserve)", p);
	return tampon;
}

/* ------------------------------------------------------------------------ */
/* Le modèle                                                                */
/* ------------------------------------------------------------------------ */

void cachees_modele_nomme(struct cachees_modele *m, const char *nom, unsigned long graine)
{
	m->graine = graine;
	if (graine != 0)
		snprintf(m->quoi, sizeof(m->quoi), "%s (graine %lu)", nom, graine);
	else
		snprintf(m->quoi, sizeof(m->quoi), "%s", nom);
}

void cachees_modele_init(struct cachees_modele *m, const char *nom, unsigned long graine,
			 int manuel)
{
	cachees_modele_nomme(m, nom, graine);
	m->operation = 0;
	m->manuel = manuel;
	m->curseur = 0;
	m->nb_blocs = 0;
	m->nb_libres = 0;
	m->nb_vivants = 0;
	modele_courant = m;
}

static int nouveau_bloc(struct cachees_modele *m, char *entete, size_t taille)
{
	EXIGE(m->nb_blocs < CACHEES_MAX_BLOCS, "modèle des tests : trop de blocs (%d)", m->nb_blocs);
	m->entete[m->nb_blocs] = entete;
	m->taille[m->nb_blocs] = taille;
	return m->nb_blocs++;
}

void cachees_modele_ajoute_fabrique(struct cachees_modele *m, struct bloc *b)
{
	int num = nouveau_bloc(m, (char *)b, b->taille);

	m->libres[m->nb_libres++] = num;
}

int cachees_modele_prevoit(const struct cachees_modele *m, size_t taille)
{
	size_t t = calcule_multiple_aligne(taille);
	size_t reste = reserve.taille - m->curseur;

	for (int i = 0; i < m->nb_libres; i++)
		if (m->taille[m->libres[i]] >= t)
			return i;
	if (t <= reste && reste - t >= EN_TETE)
		return -1;
	return -2;
}

static struct bloc *tete_attendue(const struct cachees_modele *m)
{
	return m->nb_libres > 0 ? (struct bloc *)m->entete[m->libres[0]] : NULL;
}

/* Position du bloc d'en-tête e dans la liste libre attendue, ou -1. */
static int position_libre(const struct cachees_modele *m, const char *e)
{
	for (int i = 0; i < m->nb_libres; i++)
		if (m->entete[m->libres[i]] == e)
			return i;
	return -1;
}

/* Une piste pour comprendre un mauvais résultat de __hp_malloc. */
static const char *piste_malloc(const struct cachees_modele *m, const char *obtenu,
				const char *attendu, int position, char *tampon, size_t taille)
{
	int autre;

	tampon[0] = '\0';
	if (obtenu == NULL)
		snprintf(tampon, taille, " ; il restait pourtant de la place");
	else if (obtenu == attendu - EN_TETE)
		snprintf(tampon, taille, " ; 16 octets trop tôt : est-ce l'adresse de l'en-tête au lieu "
			 "de celle des données, ou un curseur qui n'avance pas aussi de TAILLE_EN_TETE ?");
	else if (position >= 0 && obtenu == (char *)reserve.mem + m->curseur + EN_TETE)
		snprintf(tampon, taille, " ; c'est un bloc neuf alors qu'un bloc de la liste libre "
			 "convenait (la liste libre est-elle consultée d'abord ?)");
	else if ((autre = position_libre(m, obtenu - EN_TETE)) >= 0)
		snprintf(tampon, taille, " ; c'est le bloc libre en position %d (taille %zu) : "
			 "il faut le PREMIER bloc de taille >= à la taille arrondie, depuis la tête",
			 autre, m->taille[m->libres[autre]]);
	else if (position < 0 && obtenu < attendu && obtenu >= (char *)reserve.mem)
		snprintf(tampon, taille, " ; le bloc neuf est trop tôt : il chevauche un bloc déjà "
			 "distribué (le curseur avance-t-il de TAILLE_EN_TETE + taille arrondie ?)");
	else if (position < 0 && obtenu > attendu)
		snprintf(tampon, taille, " ; le bloc neuf est trop loin : le curseur avance-t-il "
			 "de TAILLE_EN_TETE + taille arrondie, et seulement pour un bloc neuf ?");
	return tampon;
}

char *cachees_modele_malloc(struct cachees_modele *m, size_t taille)
{
	size_t t = calcule_multiple_aligne(taille);
	int position = cachees_modele_prevoit(m, taille);
	char a[64], o[64], piste[256], *attendu, *p;
	struct bloc *b, *tete;
	size_t taille_attendue;
	int num;

	errno = 0;
	p = __hp_malloc(taille);
	if (position == -2) {
		EXIGE(p == NULL, "%s, opération %d : __hp_malloc(%zu) : NULL attendu "
		      "(il reste %zu octets, il en faut %zu avec l'en-tête), %s obtenu",
		      m->quoi, m->operation, taille, reserve.taille - m->curseur,
		      t + EN_TETE, cachees_decrit(p, o, sizeof(o)));
		EXIGE(errno == ENOMEM, "%s, opération %d : __hp_malloc(%zu) sans place : "
		      "errno = ENOMEM (%d) attendu, %d obtenu", m->quoi, m->operation,
		      taille, ENOMEM, errno);
		return NULL;
	}
	if (position >= 0) {
		num = m->libres[position];
		attendu = m->entete[num] + EN_TETE;
		taille_attendue = m->taille[num];
		if (p != attendu)
			ck_abort_msg("%s, opération %d : __hp_malloc(%zu) : le bloc libre "
				     "en position %d de la liste libre (données en %s, taille %zu, premier "
				     "de taille >= %zu) attendu, %s obtenu%s",
				     m->quoi, m->operation, taille, position,
				     cachees_decrit(attendu, a, sizeof(a)), taille_attendue, t,
				     cachees_decrit(p, o, sizeof(o)),
				     piste_malloc(m, p, attendu, position, piste, sizeof(piste)));
	} else {
		num = -1;
		attendu = (char *)reserve.mem + m->curseur + EN_TETE;
		taille_attendue = t;
		if (p != attendu)
			ck_abort_msg("%s, opération %d : __hp_malloc(%zu) : aucun bloc libre "
				     "de taille >= %zu, bloc neuf attendu en %s (curseur à %zu + en-tête), "
				     "%s obtenu%s", m->quoi, m->operation, taille, t,
				     cachees_decrit(attendu, a, sizeof(a)), m->curseur,
				     cachees_decrit(p, o, sizeof(o)),
				     piste_malloc(m, p, attendu, position, piste, sizeof(piste)));
	}
	b = (struct bloc *)(p - EN_TETE);
	EXIGE(b->taille == taille_attendue,
	      "%s, opération %d : __hp_malloc(%zu) rend %s, mais son en-tête a "
	      "taille = %zu au lieu de %zu (%s)", m->quoi, m->operation, taille,
	      cachees_decrit(p, o, sizeof(o)), b->taille, taille_attendue,
	      position >= 0 ? "un bloc réutilisé garde sa taille, pas de découpage"
			    : "taille arrondie par calcule_multiple_aligne");
	/* le modèle suit */
	if (position >= 0) {
		memmove(&m->libres[position], &m->libres[position + 1],
			(size_t)(m->nb_libres - position - 1) * sizeof(m->libres[0]));
		m->nb_libres--;
	} else {
		num = nouveau_bloc(m, (char *)reserve.mem + m->curseur, t);
		m->curseur += EN_TETE + t;
	}
	tete = tete_attendue(m);
	if (libre != tete)
		ck_abort_msg("%s, opération %d : après __hp_malloc(%zu), la liste libre "
			     "doit commencer par %s, elle commence par %s%s", m->quoi,
			     m->operation, taille, tete ? cachees_decrit(tete, a, sizeof(a)) : "NULL (vide)",
			     cachees_decrit(libre, o, sizeof(o)),
			     libre == b ? " : le bloc rendu est resté dans la liste libre" : "");
	EXIGE(m->nb_vivants < CACHEES_MAX_BLOCS, "modèle des tests : trop de blocs vivants");
	m->vivant[m->nb_vivants] = num;
	m->demande[m->nb_vivants] = taille;
	m->motif[m->nb_vivants] = (unsigned)(m->graine * 31u + (unsigned long)m->operation);
	remplit(p, taille, m->motif[m->nb_vivants]);
	m->nb_vivants++;
	return p;
}

/* Données et en-tête du vivant k intacts ? */
static void verifie_vivant(const struct cachees_modele *m, int k, const char *quand)
{
	int num = m->vivant[k];
	char *p = m->entete[num] + EN_TETE, o[64];
	size_t octet = premier_octet_modifie(p, m->demande[k], m->motif[k]);

	EXIGE(((struct bloc *)m->entete[num])->taille == m->taille[num],
	      "%s, opération %d, %s : l'en-tête du bloc vivant %s a été écrasé "
	      "(taille %zu au lieu de %zu)", m->quoi, m->operation, quand,
	      cachees_decrit(p, o, sizeof(o)), ((struct bloc *)m->entete[num])->taille, m->taille[num]);
	EXIGE(octet == m->demande[k],
	      "%s, opération %d, %s : les données du bloc vivant %s (%zu octets "
	      "demandés) ont été écrasées à l'octet %zu : deux blocs se chevauchent-ils ?",
	      m->quoi, m->operation, quand, cachees_decrit(p, o, sizeof(o)),
	      m->demande[k], octet);
}

void cachees_modele_free(struct cachees_modele *m, int k)
{
	int num = m->vivant[k];
	char *p = m->entete[num] + EN_TETE, a[64], o[64];
	struct bloc *b = (struct bloc *)m->entete[num];
	struct bloc *ancienne = tete_attendue(m);

	verifie_vivant(m, k, "avant sa libération");
	if (m->manuel) {
		b->suivant = libre;
		libre = b;
	} else {
		__hp_free(p);
		if (libre != b)
			ck_abort_msg("%s, opération %d : après __hp_free(%s), la liste libre "
				     "doit commencer par son en-tête (%s), elle commence par %s%s",
				     m->quoi, m->operation, cachees_decrit(p, o, sizeof(o)),
				     cachees_decrit(b, a, sizeof(a)), cachees_decrit(libre, o, sizeof(o)),
				     libre == ancienne ? " (tête inchangée : __hp_free ne fait rien, ou insère en queue ?)" : "");
		if (b->suivant != ancienne)
			ck_abort_msg("%s, opération %d : après __hp_free(%s), le bloc libéré "
				     "doit pointer (suivant) vers l'ancienne tête %s, il pointe vers %s",
				     m->quoi, m->operation, cachees_decrit(p, o, sizeof(o)),
				     ancienne ? cachees_decrit(ancienne, a, sizeof(a)) : "NULL",
				     cachees_decrit(b->suivant, o, sizeof(o)));
		EXIGE(b->taille == m->taille[num], "%s, opération %d : __hp_free a changé "
		      "la taille du bloc libéré : %zu attendu, %zu obtenu", m->quoi,
		      m->operation, m->taille[num], b->taille);
	}
	memmove(&m->libres[1], &m->libres[0], (size_t)m->nb_libres * sizeof(m->libres[0]));
	m->libres[0] = num;
	m->nb_libres++;
	memmove(&m->vivant[k], &m->vivant[k + 1], (size_t)(m->nb_vivants - k - 1) * sizeof(m->vivant[0]));
	memmove(&m->demande[k], &m->demande[k + 1], (size_t)(m->nb_vivants - k - 1) * sizeof(m->demande[0]));
	memmove(&m->motif[k], &m->motif[k + 1], (size_t)(m->nb_vivants - k - 1) * sizeof(m->motif[0]));
	m->nb_vivants--;
}

void cachees_modele_free_null(struct cachees_modele *m)
{
	struct bloc *tete = libre;
	struct bloc *deuxieme = tete != NULL ? tete->suivant : NULL;
	char a[64], o[64];

	__hp_free(NULL);
	if (libre != tete)
		ck_abort_msg("%s, opération %d : __hp_free(NULL) ne doit rien faire, "
			     "mais la tête de la liste libre est passée de %s à %s", m->quoi,
			     m->operation, cachees_decrit(tete, a, sizeof(a)), cachees_decrit(libre, o, sizeof(o)));
	EXIGE(tete == NULL || tete->suivant == deuxieme,
	      "%s, opération %d : __hp_free(NULL) ne doit rien faire, mais le champ "
	      "suivant de la tête de la liste libre a changé", m->quoi, m->operation);
}

void cachees_modele_verifie_liste(const struct cachees_modele *m, const char *quand)
{
	const struct bloc *b = libre;
	char a[64], o[64];

	for (int i = 0; i < m->nb_libres; i++, b = b->suivant) {
		int num = m->libres[i];

		if (b != (struct bloc *)m->entete[num])
			ck_abort_msg("%s, opération %d, %s : en position %d de la liste libre "
				     "(sur %d), le bloc %s attendu, %s obtenu", m->quoi,
				     m->operation, quand, i, m->nb_libres,
				     cachees_decrit(m->entete[num], a, sizeof(a)), cachees_decrit(b, o, sizeof(o)));
		EXIGE(b->taille == m->taille[num], "%s, opération %d, %s : le bloc libre "
		      "%s a taille = %zu au lieu de %zu", m->quoi, m->operation, quand,
		      cachees_decrit(b, a, sizeof(a)), b->taille, m->taille[num]);
	}
	if (b != NULL)
		ck_abort_msg("%s, opération %d, %s : la liste libre doit s'arrêter après "
			     "%d bloc(s), elle continue sur %s", m->quoi, m->operation, quand,
			     m->nb_libres, cachees_decrit(b, o, sizeof(o)));
}

void cachees_modele_verifie_vivants(const struct cachees_modele *m, const char *quand)
{
	for (int k = 0; k < m->nb_vivants; k++)
		verifie_vivant(m, k, quand);
}

/* ------------------------------------------------------------------------ */
/* Les charges                                                              */
/* ------------------------------------------------------------------------ */

static size_t tire_taille(unsigned long *g, enum cachees_tailles genre)
{
	unsigned long r = cachees_alea(g);

	switch (genre) {
	case CACHEES_PETITES:
		return 1 + r % 256;
	case CACHEES_VARIEES:
		if (r % 100 < 62)
			return 1 + (r >> 8) % 256;
		if (r % 100 < 92)
			return 1 + (r >> 8) % 8192;
		/* limites sans les ~1 Mio, pour garder la charge rapide */
		return cachees_tailles_limites[(r >> 8) % (unsigned long)(cachees_nb_tailles_limites - 4)];
	default:
		return cachees_tailles_limites[r % (unsigned long)cachees_nb_tailles_limites];
	}
}

/* Une libération, à la place de la première demande trop grosse. */
static int vivant_a_liberer(const struct cachees_modele *m, enum cachees_ordre ordre, unsigned long *g)
{
	if (ordre == CACHEES_LIFO)
		return m->nb_vivants - 1;
	if (ordre == CACHEES_FIFO)
		return 0;
	return (int)(cachees_alea(g) % (unsigned long)m->nb_vivants);
}

/* Alloue taille octets, sauf si cela ferait sortir la charge de son budget
 * (la charge ne doit jamais remplir la réserve) : on libère alors un vivant,
 * ou on demande 1 octet (forcément servi par la liste libre). */
static void alloue(struct cachees_modele *m, const struct cachees_charge *c, size_t taille,
		   unsigned long *g)
{
	size_t budget = reserve.taille - reserve.taille / 4;

	if (cachees_modele_prevoit(m, taille) < 0) {
		if (c->manuel)
			taille = calcule_multiple_aligne(taille);
		if (m->curseur + EN_TETE + calcule_multiple_aligne(taille) > budget) {
			if (m->nb_vivants > 0) {
				cachees_modele_free(m, vivant_a_liberer(m, c->ordre, g));
				return;
			}
			taille = 1;
		}
	}
	cachees_modele_malloc(m, taille);
}

static void une_charge(struct cachees_modele *m, const struct cachees_charge *c)
{
	unsigned long g = c->graine;
	int a_allouer = 0, a_liberer = 0, serie = 0, debut = 0, deja = 0, tout = 0;
	size_t taille_serie = 1;

	cachees_modele_nomme(m, c->nom, c->graine);
	m->manuel = c->manuel;
	for (int op = 0; op < c->operations; op++) {
		unsigned long r;

		m->operation = op;
		if (op % 32 == 31)
			cachees_modele_verifie_liste(m, "liste libre relue en entier");
		switch (c->ordre) {
		case CACHEES_ALEATOIRE:
			r = cachees_alea(&g) % 100;
			if (r < 4 && !c->manuel)
				cachees_modele_free_null(m);
			else if (r < 46 && m->nb_vivants > 0)
				cachees_modele_free(m, vivant_a_liberer(m, c->ordre, &g));
			else
				alloue(m, c, tire_taille(&g, c->tailles), &g);
			break;
		case CACHEES_LIFO:
		case CACHEES_FIFO:
			if (a_allouer == 0 && (a_liberer == 0 || m->nb_vivants == 0)) {
				a_allouer = 1 + (int)(cachees_alea(&g) % 60);
				a_liberer = a_allouer * (40 + (int)(cachees_alea(&g) % 80)) / 100;
			}
			if (a_allouer > 0) {
				a_allouer--;
				alloue(m, c, tire_taille(&g, c->tailles), &g);
			} else {
				a_liberer--;
				cachees_modele_free(m, vivant_a_liberer(m, c->ordre, &g));
			}
			break;
		case CACHEES_EGALES:
			/* une série de blocs de même taille, puis on libère un bloc sur
			 * deux de la série (dans l'ordre), ou parfois tous les vivants
			 * du plus ancien au plus récent */
			if (a_allouer == 0 && a_liberer == 0) {
				serie = 2 + (int)(cachees_alea(&g) % 60);
				a_allouer = serie;
				taille_serie = tire_taille(&g, c->tailles);
				tout = cachees_alea(&g) % 5 == 0;
			}
			if (a_allouer > 0) {
				alloue(m, c, taille_serie, &g);
				if (--a_allouer == 0) {
					debut = m->nb_vivants > serie ? m->nb_vivants - serie : 0;
					a_liberer = tout ? m->nb_vivants : (serie + 1) / 2;
					deja = 0;
				}
			} else {
				/* l'élément 2i de la série est maintenant en debut + i */
				int k = tout ? 0 : debut + deja;

				a_liberer--;
				deja++;
				if (k < m->nb_vivants)
					cachees_modele_free(m, k);
			}
			break;
		}
	}
	m->operation = c->operations;
	cachees_modele_verifie_liste(m, "à la fin de la charge");
	cachees_modele_verifie_vivants(m, "à la fin de la charge");
	/* tout libérer dans un ordre mêlé, puis redemander : la liste libre est
	 * alors longue et ses tailles mêlées */
	while (m->nb_vivants > 0)
		cachees_modele_free(m, (int)(cachees_alea(&g) % (unsigned long)m->nb_vivants));
	cachees_modele_verifie_liste(m, "après avoir tout libéré");
	for (int i = 0; i < 64; i++, m->operation++)
		alloue(m, c, tire_taille(&g, c->tailles), &g);
	cachees_modele_verifie_liste(m, "après les dernières demandes");
	cachees_modele_verifie_vivants(m, "après les dernières demandes");
}

void cachees_charges(const struct cachees_charge *c, int n)
{
	static struct cachees_modele m;

	cachees_modele_init(&m, c[0].nom, c[0].graine, c[0].manuel);
	for (int i = 0; i < n; i++)
		une_charge(&m, &c[i]);
}
