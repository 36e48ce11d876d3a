/*
 * check_cachees.c : lance les tests CACHÉS (réservés aux enseignants) des
 * questions Q13, Q16, Q18, Q20 et Q22. Voir README.md dans ce dossier.
 *
 * Fichiers (tous à compiler ensemble, avec tests/commun.c et hp_allocator.c
 * de l'étudiant, -I pointant sur la racine du projet) :
 *   check_cachees.c   ce main ;
 *   cachees.h         déclarations communes, modèle exact de l'allocateur ;
 *   cachees_modele.c  le modèle et les charges aléatoires qu'il pilote ;
 *   cachees_q13.c     Q13 : __hp_malloc « bump » (tailles limites, épuisement) ;
 *   cachees_q16.c     Q16 : recherche_bloc_libre sur des listes de 1000 blocs ;
 *   cachees_q18.c     Q18 : réutilisation first fit, contre le modèle ;
 *   cachees_q20.c     Q20 : __hp_free, puis malloc et free contre le modèle ;
 *   cachees_q22.c     Q22 : ls, python3 et perl avec l'allocateur préchargé.
 *
 *   cd <racine> && gcc -O2 -std=gnu11 -I. $(pkg-config --cflags check) \
 *       -o check_cachees <les .c de ce dossier> build/hp_allocator.o \
 *       build/tests/commun.o $(pkg-config --libs check)
 *
 * À lancer depuis la racine du projet (Q22 y cherche libmalloc_wrapper.so,
 * ou HP_BIBLIOTHEQUE). Le journal XML (CK_XML_LOG_FILE_NAME) se note avec
 * tests/note.py et grader/cachees/bareme.txt. Une suite seule :
 * CK_RUN_SUITE=Q16 ./check_cachees
 */
#include "cachees.h"

int main(void)
{
	prepare_tests();
	Suite *suites[] = { suite_cachee_q13(), suite_cachee_q16(), suite_cachee_q18(),
			    suite_cachee_q20(), suite_cachee_q22() };

	lance_suites(suites, 5);
}
