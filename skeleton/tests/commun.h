/*
 * commun.h : outils partagés par les suites de tests (une suite par question).
 *
 * Chaque test s'exécute dans un processus fils (mode fork de Check) : la
 * réserve, la liste libre et le curseur « alloue » y repartent de zéro, et un
 * plantage, une boucle infinie ou un exit ne coûtent que ce test.
 */
#ifndef COMMUN_H
#define COMMUN_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "../hp_allocator.h"

/* Un test n'est réussi que si son processus se termine par exit(FIN_DE_TEST),
 * ce que fait fin_de_test() après la fin normale du test : un exit(0) ou un
 * _exit(0) venu du code testé n'est donc pas pris pour un succès. Le
 * correcteur recompile les tests avec une autre valeur, tirée au hasard. */
#ifndef FIN_DE_TEST
#define FIN_DE_TEST 42
#endif
#define AJOUTE_TEST(tc, test) tcase_add_exit_test((tc), (test), FIN_DE_TEST)
void fin_de_test(void);

/* Pour les main des programmes de tests : prepare_tests() avant de créer les
 * suites (leurs délais en dépendent), puis lance_suites() qui les exécute en
 * mode fork et termine le processus. */
void prepare_tests(void);
void lance_suites(Suite *const *suites, int n) __attribute__((noreturn));

/* Fixture : une réserve neuve avant chaque test, rendue après (et fin_de_test). */
void reserve_neuve(void);
void reserve_rendue(void);

/* Crée une suite d'un seul groupe de tests, avec la fixture ci-dessus. */
Suite *suite_question(const char *question, TCase **tc);

/* Blocs construits à la main, hors de la réserve, pour tester la liste libre
 * sans dépendre de __hp_malloc. */
struct bloc *bloc_fabrique(int numero, size_t taille);
void liste_libre(struct bloc **blocs, int n); /* libre = blocs[0] -> ... -> NULL */
void *donnees(struct bloc *bloc);             /* adresse qui suit l'en-tête */

/* Un pointeur rendu par l'allocateur : aligné, dans la réserve, et de
 * l'en-tête à la fin de ses données. Échoue avec un message sinon. */
void verifie_bloc_rendu(const void *p, size_t taille, const char *contexte);

/* Longueur de la liste libre (échoue si elle boucle). */
int longueur_liste_libre(void);

/* Lance argv (un vrai programme), l'entrée et les sorties dans des fichiers,
 * LC_ALL=C ; si precharge, avec LD_PRELOAD=HP_BIBLIOTHEQUE (par défaut
 * ./libmalloc_wrapper.so) et HP_STATS=1. Tué au bout de delai_ms (et par une
 * limite de CPU, même si le test est tué avant). Rend le statut de waitpid,
 * ou -1 si le délai est dépassé. */
int lance_programme(char *const argv[], const char *entree, const char *sortie,
		    const char *erreurs, int precharge, int delai_ms);
const char *bibliotheque_prechargee(void);

/* Somme des « servis par la réserve N » des résumés de HP_STATS écrits dans
 * le fichier erreurs ; *resumes reçoit leur nombre (un par processus). */
long blocs_servis(const char *erreurs, int *resumes);

/* Un motif d'octets propre à chaque bloc, pour voir s'il a été écrasé. */
void remplit(void *p, size_t taille, unsigned graine);
size_t premier_octet_modifie(const void *p, size_t taille, unsigned graine);

#define ADR(p) ((uintptr_t)(p))

/* Comme ck_assert_msg, mais sans l'appel système que Check fait à chaque
 * assertion réussie : indispensable dans les boucles des charges aléatoires. */
#define EXIGE(condition, ...) \
	do { \
		if (!(condition)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#endif
