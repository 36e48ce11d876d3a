"""La solution a 20/20 (aussi sous sanitizers), le squelette compile sans
avertissement et a 0 à chaque question, vite et sans planter."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from outils import QUESTIONS, SOLUTION, SQUELETTE, compiler, copier_projet, executer_tests


class Projet(unittest.TestCase):
    def noter_copie(self, source, build="build", options=(), env_en_plus=None):
        tmp = tempfile.mkdtemp(prefix="td-projet-")
        self.addCleanup(shutil.rmtree, tmp)
        projet = os.path.join(tmp, "projet")
        copier_projet(source, projet)
        compiler(projet, options=[f"BUILD={build}", *options])
        return executer_tests(projet, build=build, env_en_plus=env_en_plus)

    def verifie_20_sur_20(self, questions):
        for q in QUESTIONS:
            echecs = [f"{t} : {m}" for t, p, m_, m in questions[q]["tests"] if p < m_]
            self.assertEqual(questions[q]["points"], questions[q]["max"], f"{q} : {echecs}")

    def test_solution_20_sur_20(self):
        questions, _ = self.noter_copie(SOLUTION, options=["CFLAGS=-O2 -g -Werror"])
        self.verifie_20_sur_20(questions)

    def test_solution_20_sur_20_sous_asan_et_ubsan(self):
        questions, _ = self.noter_copie(SOLUTION, build="build-san", options=["SAN=address,undefined"],
                                        env_en_plus={"CK_DEFAULT_TIMEOUT": "10"})
        self.verifie_20_sur_20(questions)

    def test_solution_20_sur_20_en_pages_normales(self):
        questions, _ = self.noter_copie(SOLUTION, env_en_plus={"HP_PAGES": "normales"})
        self.verifie_20_sur_20(questions)

    def test_squelette_zero_partout_sans_plantage(self):
        debut = time.monotonic()
        questions, resultats = self.noter_copie(SQUELETTE, options=["CFLAGS=-O2 -g -Werror"])
        duree = time.monotonic() - debut
        for q in QUESTIONS:
            self.assertEqual(questions[q]["points"], 0, f"{q} : le squelette ne doit rien rapporter")
        incidents = {t: m for t, (_, m) in resultats.items()
                     if m.startswith(("plantage", "délai", "le test s'est arrêté"))}
        self.assertEqual(incidents, {}, "le squelette doit échouer proprement")
        self.assertLess(duree, 10, "compilation et tests du squelette en moins de 10 s")

    def test_make_test_du_squelette_affiche_la_note(self):
        tmp = tempfile.mkdtemp(prefix="td-projet-")
        self.addCleanup(shutil.rmtree, tmp)
        copier_projet(SQUELETTE, os.path.join(tmp, "sq"))
        r = subprocess.run(["make", "-C", os.path.join(tmp, "sq"), "test"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        for q in QUESTIONS:
            self.assertRegex(r.stdout, rf"\n{q}\s+0 / [\d,]+\s+✘  test_{q.lower()}_\w+ : ")
        self.assertIn("Note : 0 / 20", r.stdout)
