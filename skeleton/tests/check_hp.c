/*
 * check_hp.c : lance les suites des questions Q13, Q16, Q18, Q20 et Q22.
 *
 * Mode fork (chaque test dans son propre processus) et délai par test : un
 * plantage, une boucle infinie ou un exit ne coûtent que le test concerné.
 * Le journal XML de Check (CK_XML_LOG_FILE_NAME) est ce que lisent note.py et
 * le correcteur. Une suite seule : CK_RUN_SUITE=Q16 ./build/check_hp
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

Suite *suite_q13(void);
Suite *suite_q16(void);
Suite *suite_q18(void);
Suite *suite_q20(void);
Suite *suite_q22(void);

int main(void)
{
	SRunner *sr;
	int echecs;

	/* Lus à la création des groupes de tests : à fixer avant. Une réserve
	 * de 8 Mio suffit aux tests et rend « réserve pleine » rapide. */
	setenv("CK_DEFAULT_TIMEOUT", "2", 0);
	setenv("HP_RESERVE_MIO", "8", 0);
	sr = srunner_create(suite_q13());
	srunner_add_suite(sr, suite_q16());
	srunner_add_suite(sr, suite_q18());
	srunner_add_suite(sr, suite_q20());
	srunner_add_suite(sr, suite_q22());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_ENV);
	echecs = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* _exit : les journaux sont écrits, aucun destructeur ni atexit venu du
	 * code testé ne s'exécute plus dans ce processus. */
	fflush(NULL);
	_exit(echecs == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
