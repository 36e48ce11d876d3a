"""Le générateur du squelette et la synchronisation de skeleton/."""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from outils import RACINE, SOLUTION, SQUELETTE, squelette

REGION = textwrap.dedent("""\
    int f(int x)
    {
    \t/* DEBUT SOLUTION (Q7) : doublez x,
    \t * puis rendez-le. */
    \treturn 2 * x;
    \t/* SQUELETTE
    \t(void)x;
    \treturn 0;
    \tFIN SOLUTION */
    }
    """)


class Transformation(unittest.TestCase):
    def test_region_remplacee_par_consigne_et_bouchon(self):
        attendu = textwrap.dedent("""\
            int f(int x)
            {
            \t/* À FAIRE (Q7) : doublez x,
            \t * puis rendez-le. */
            \t(void)x;
            \treturn 0;
            }
            """)
        self.assertEqual(squelette.transformer(REGION), attendu)

    def test_region_sans_bouchon(self):
        texte = "a\n/* DEBUT SOLUTION (Q1) : x */\nsolution\n/* FIN SOLUTION */\nb\n"
        self.assertEqual(squelette.transformer(texte), "a\n/* À FAIRE (Q1) : x */\nb\n")

    def test_texte_sans_region_inchange(self):
        texte = "int main(void) { return 0; }\n"
        self.assertEqual(squelette.transformer(texte), texte)

    def test_marqueurs_faux_nommes_avec_leur_ligne(self):
        cas = {
            "région jamais fermée": ("x\n/* DEBUT SOLUTION (Q1) : a */\ncode\n", ":2 "),
            "FIN sans DEBUT": ("x\n/* FIN SOLUTION */\n", ":2 "),
            "DEBUT imbriqué": ("/* DEBUT SOLUTION (Q1) : a */\n/* DEBUT SOLUTION (Q2) : b */\n"
                               "/* FIN SOLUTION */\n", ":2 "),
            "consigne jamais fermée": ("/* DEBUT SOLUTION (Q1) : a\n b\n", ":1 "),
        }
        for nom, (texte, ligne) in cas.items():
            with self.subTest(nom):
                with self.assertRaises(squelette.ErreurMarqueurs) as e:
                    squelette.transformer(texte, "f.c")
                self.assertIn("f.c" + ligne, str(e.exception))

    def test_erreur_de_marqueur_message_et_code_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "sol"))
            with open(os.path.join(tmp, "sol", "a.c"), "w") as f:
                f.write("/* DEBUT SOLUTION (Q1) : a */\n")
            r = subprocess.run([sys.executable, os.path.join(RACINE, "grader", "squelette.py"),
                                "--solution", os.path.join(tmp, "sol"),
                                "--squelette", os.path.join(tmp, "sq")],
                               capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("sans « FIN SOLUTION »", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(tmp, "sq")))


    def test_fichier_solution_seulement_omis(self):
        with tempfile.TemporaryDirectory() as tmp:
            sol, sq = os.path.join(tmp, "sol"), os.path.join(tmp, "sq")
            os.makedirs(os.path.join(sol, "avance"))
            with open(os.path.join(sol, "avance", "corrige.c"), "w") as f:
                f.write("/* SOLUTION SEULEMENT : le corrigé */\nint x;\n")
            with open(os.path.join(sol, "omis.h"), "w") as f:
                f.write("#pragma once /* SOLUTION SEULEMENT */\n")
            with open(os.path.join(sol, "copie.c"), "w") as f:
                f.write("int y;\n/* SOLUTION SEULEMENT plus bas : copié */\n")
            squelette.generer(sol, sq)
            self.assertEqual(sorted(squelette.fichiers_sources(sq)), ["copie.c"])


class Synchronisation(unittest.TestCase):
    def test_skeleton_est_a_jour(self):
        with tempfile.TemporaryDirectory() as tmp:
            squelette.generer(SOLUTION, tmp)
            self.assertEqual(squelette.differences(tmp, SQUELETTE), [],
                             "skeleton/ diffère de la génération : lancez « make skeleton »")

    def test_verifier_detecte_une_retouche(self):
        with tempfile.TemporaryDirectory() as tmp:
            copie = os.path.join(tmp, "skeleton")
            squelette.generer(SOLUTION, copie)
            with open(os.path.join(copie, "hp_allocator.c"), "a") as f:
                f.write("/* retouche à la main */\n")
            open(os.path.join(copie, "en_trop.c"), "w").close()
            neuf = os.path.join(tmp, "neuf")
            squelette.generer(SOLUTION, neuf)
            diff = squelette.differences(neuf, copie)
        self.assertIn("différent : hp_allocator.c", diff)
        self.assertIn("en trop : en_trop.c", diff)

    def test_aucune_reponse_dans_le_squelette(self):
        with open(os.path.join(SQUELETTE, "hp_allocator.c"), encoding="utf-8") as f:
            texte = f.read()
        for fragment in ["SOLUTION", "SQUELETTE", "alloue +=", "libre = bloc", "precedent"]:
            self.assertFalse(fragment in texte, f"« {fragment} » trouvé dans le squelette")
        self.assertEqual(texte.count("À FAIRE ("), 3)

    def test_allocateur_avance_absent_du_squelette(self):
        self.assertTrue(os.path.exists(os.path.join(SOLUTION, "hp_avance.c")))
        for nom in ["hp_avance.c", "hp_avance.h"]:
            self.assertFalse(os.path.exists(os.path.join(SQUELETTE, nom)), nom)
