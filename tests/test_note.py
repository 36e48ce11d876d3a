"""Le barème et le calcul de la note (note.py)."""
import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest

from outils import QUESTIONS, SOLUTION, note

BAREME = os.path.join(SOLUTION, "tests", "bareme.txt")
NOTE_PY = os.path.join(SOLUTION, "tests", "note.py")

JOURNAL = """<?xml version="1.0"?>
<testsuites xmlns="http://check.sourceforge.net/ns">
  <suite><title>Q1</title>
    <test result="success"><id>test_a</id><message>Passed</message></test>
    <test result="failure"><id>test_b</id><message>sans accent</message></test>
    <test result="error"><id>test_c</id><message>Test timeout expired</message></test>
    <test result="error"><id>test_d</id><message>Received signal 11 (Segmentation fault)</message></test>
    <test result="error"><id>test_e</id><message>Early exit with return value 3</message></test>
  </suite>
</testsuites>
"""
TEXTE = ("tests/x.c:12:F:Q1:test_b:0: données écrasées\n"
         "tests/x.c:30:E:Q1:test_d:0: (after this point) Received signal 11 (Segmentation fault)\n")


def ecrire(dossier, nom, texte):
    chemin = os.path.join(dossier, nom)
    with open(chemin, "w", encoding="utf-8") as f:
        f.write(texte)
    return chemin


class Bareme(unittest.TestCase):
    def test_total_20_sur_les_questions_notees(self):
        questions = {}
        for question, _, points in note.lire_bareme(BAREME):
            questions[question] = questions.get(question, 0) + points
        self.assertEqual(sorted(questions), QUESTIONS)
        self.assertEqual(sum(questions.values()), 20)

    def test_chaque_test_au_bareme_et_reciproquement(self):
        ecrits = set()
        for source in glob.glob(os.path.join(SOLUTION, "tests", "check_q*.c")):
            with open(source, encoding="utf-8") as f:
                texte = f.read()
            definis = set(re.findall(r"START_TEST\((\w+)\)", texte))
            ajoutes = set(re.findall(r"AJOUTE_TEST\(tc, (\w+)\)", texte))
            self.assertEqual(definis, ajoutes, f"{source} : test défini mais pas ajouté (ou l'inverse)")
            ecrits |= definis
        au_bareme = {t for _, t, _ in note.lire_bareme(BAREME)}
        self.assertEqual(ecrits, au_bareme)
        for question, test, _ in note.lire_bareme(BAREME):
            self.assertTrue(test.startswith(f"test_{question.lower()}_"), test)


class Calcul(unittest.TestCase):
    def test_verdicts_et_messages_traduits(self):
        with tempfile.TemporaryDirectory() as tmp:
            res = note.lire_journal(ecrire(tmp, "j.xml", JOURNAL), ecrire(tmp, "j.txt", TEXTE))
        self.assertEqual(res["test_a"], (True, ""))
        self.assertEqual(res["test_b"], (False, "données écrasées"))
        self.assertIn("délai dépassé", res["test_c"][1])
        self.assertIn("plantage : signal 11", res["test_d"][1])
        self.assertIn("exit(3)", res["test_e"][1])

    def test_points_par_question_et_test_absent(self):
        bareme = [("Q1", "test_a", 1.5), ("Q1", "test_b", 1), ("Q2", "test_z", 2)]
        resultats = {"test_a": (True, ""), "test_b": (False, "raté")}
        q1, q2 = note.noter(bareme, resultats)
        self.assertEqual((q1["points"], q1["max"]), (1.5, 2.5))
        self.assertEqual((q2["points"], q2["max"]), (0, 2))
        self.assertIn("non exécuté", q2["tests"][0][3])

    def lancer(self, *args):
        return subprocess.run([sys.executable, NOTE_PY, *args], capture_output=True, text=True)

    def test_affichage_une_ligne_par_question(self):
        with tempfile.TemporaryDirectory() as tmp:
            bareme = ecrire(tmp, "b.txt", "Q1 test_a 1\nQ1 test_b 1\nQ2 test_c 2\n")
            r = self.lancer(bareme, ecrire(tmp, "j.xml", JOURNAL), ecrire(tmp, "j.txt", TEXTE))
        self.assertEqual(r.returncode, 0, r.stderr)
        lignes = r.stdout.splitlines()
        self.assertRegex(lignes[0], r"^Q1\s+1 / 2\s+✘  test_b : données écrasées$")
        self.assertRegex(lignes[1], r"^Q2\s+0 / 2\s+✘  test_c : délai dépassé")
        self.assertIn("test_d n'est pas dans le barème", r.stdout)
        self.assertEqual(lignes[-1], "Note : 1 / 4")

    def test_journal_absent_note_zero_sans_trace(self):
        with tempfile.TemporaryDirectory() as tmp:
            bareme = ecrire(tmp, "b.txt", "Q1 test_a 1\n")
            r = self.lancer(bareme, os.path.join(tmp, "absent.xml"), "--exiger-tout")
        self.assertEqual(r.returncode, 1)
        self.assertIn("aucun résultat de test", r.stderr)
        self.assertIn("Note : 0 / 1", r.stdout)
        self.assertNotIn("Traceback", r.stderr)

    def test_bareme_mal_forme_nomme_la_ligne(self):
        with tempfile.TemporaryDirectory() as tmp:
            for texte, attendu in [("Q1 test_a 1\nQ1 test_b deux\n", "b.txt:2 "),
                                   ("Q1 test_a 1\nQ2 test_a 1\n", "présent deux fois"),
                                   ("# vide\n", "barème vide")]:
                with self.subTest(texte):
                    r = self.lancer(ecrire(tmp, "b.txt", texte), os.path.join(tmp, "j.xml"))
                    self.assertEqual(r.returncode, 2)
                    self.assertIn(attendu, r.stderr)
                    self.assertNotIn("Traceback", r.stderr)
