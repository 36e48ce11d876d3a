/*
 * check_hp.c : lance les suites des questions Q13, Q16, Q18, Q20 et Q22.
 *
 * Mode fork (chaque test dans son propre processus) et délai par test : un
 * plantage, une boucle infinie ou un exit ne coûtent que le test concerné.
 * Le journal XML de Check (CK_XML_LOG_FILE_NAME) est ce que lisent note.py et
 * le correcteur. Une suite seule : CK_RUN_SUITE=Q16 ./build/check_hp
 */
#include "commun.h"

Suite *suite_q13(void);
Suite *suite_q16(void);
Suite *suite_q18(void);
Suite *suite_q20(void);
Suite *suite_q22(void);

int main(void)
{
	prepare_tests();
	Suite *suites[] = { suite_q13(), suite_q16(), suite_q18(), suite_q20(), suite_q22() };

	lance_suites(suites, 5);
}
