"""make sujet et make handout : l'archive des étudiants a ce qu'il faut, rien
de la solution, du corrigé ni du correcteur, et fonctionne une fois
décompressée ailleurs."""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import unittest

from outils import RACINE

ARCHIVE = os.path.join(RACINE, "dist", "td-memoire-etudiant.tar.gz")
_verrou = threading.Lock()


def fabriquer():
    with _verrou:  # un seul make handout à la fois (même dossier dist/)
        r = subprocess.run([sys.executable, os.path.join(RACINE, "grader", "distribution.py"), "handout"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        with open(ARCHIVE, "rb") as f:
            return f.read()


class Archive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.octets = fabriquer()
        with tarfile.open(ARCHIVE) as t:
            cls.membres = {m.name: m for m in t.getmembers()}
            cls.contenus = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}

    def test_contenu_attendu(self):
        attendus = ["hp_allocator.c", "hp_allocator.h", "Makefile", "bench.c", "bench.h", "bench_main.c",
                    "malloc_wrapper.c", "malloc_wrapper.h", "hugepages.sh", "courbe.py", "LISEZMOI.md", "install-deps.sh",
                    "sujet.md", "courbe_exemple.png", "tests/bareme.txt", "tests/note.py",
                    "tests/check_q13.c", "tests/commun.h"]
        if shutil.which("pandoc"):
            attendus.append("sujet.html")
        for nom in attendus:
            self.assertIn(f"td-memoire/{nom}", self.membres)

    def test_rien_de_la_solution_ni_du_correcteur(self):
        for nom, contenu in self.contenus.items():
            relatif = nom.split("/", 1)[1].lower()
            for interdit in ["corrige", "cachees", "grader", "fautifs", "solution"]:
                self.assertNotIn(interdit, relatif)
            self.assertFalse(relatif.startswith(("build/", "resultats/")) or relatif.endswith((".o", ".so")),
                             f"produit de compilation dans l'archive : {nom}")
            for marque in [b"DEBUT SOLUTION", b"FIN SOLUTION", b"alloue += TAILLE_EN_TETE", b"test_cache_"]:
                self.assertNotIn(marque, contenu, f"{marque!r} dans {nom}")
        self.assertEqual(self.contenus["td-memoire/hp_allocator.c"].count("À FAIRE (".encode()), 3)

    def test_reproductible(self):
        self.assertEqual(hashlib.sha256(fabriquer()).hexdigest(), hashlib.sha256(self.octets).hexdigest())

    def test_fonctionne_decompressee_ailleurs(self):
        tmp = tempfile.mkdtemp(prefix="td-etudiant-")
        self.addCleanup(shutil.rmtree, tmp)
        with tarfile.open(fileobj=__import__("io").BytesIO(self.octets)) as t:
            t.extractall(tmp)
        dossier = os.path.join(tmp, "td-memoire")
        r = subprocess.run(["make", "-s", "test"], cwd=dossier, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Note : 0 / 20", r.stdout)
        r = subprocess.run(["make", "-s", "bench", "RAPIDE=1", "BENCH_OPTIONS=--max 128K -r 1 -p 1"],
                           cwd=dossier, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.getsize(os.path.join(dossier, "resultats", "courbe.png")) > 0)


class Sujet(unittest.TestCase):
    def test_sans_pandoc_message_en_francais(self):
        with tempfile.TemporaryDirectory() as faux:
            env = dict(os.environ, PATH=faux + ":/usr/local/bin")  # pas de /usr/bin : pas de pandoc
            for outil in ["python3"]:
                chemin = shutil.which(outil)
                os.symlink(chemin, os.path.join(faux, outil))
            with _verrou:
                r = subprocess.run([sys.executable, os.path.join(RACINE, "grader", "distribution.py"),
                                    "sujet"], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pandoc est introuvable", r.stderr)
        self.assertIn("sudo apt-get install pandoc", r.stderr)
