"""L'allocateur avancé du corrigé (solution/hp_avance.c) : le contrat de
chaque fonction (aussi sous ASan et UBSan), de vrais programmes préchargés
qui donnent la même sortie, et toutes les traces justes sous hp_driver."""
import atexit
import csv
import glob
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

from outils import SOLUTION, compiler, copier_projet

ICI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "avance")
CHECK = subprocess.run(["pkg-config", "--cflags", "--libs", "check"], capture_output=True,
                       text=True).stdout.split()
FAMILLE = ["malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
           "memalign", "valloc", "pvalloc", "malloc_usable_size"]
_verrou = threading.Lock()
_projet = {}


def projet():
    """Copie de solution/ avec libhp_avance.so et hp_driver compilés (-Werror),
    une fois pour tous les tests du module."""
    with _verrou:
        if "dossier" not in _projet:
            tmp = tempfile.mkdtemp(prefix="td-avance-")
            atexit.register(shutil.rmtree, tmp, True)
            dossier = os.path.join(tmp, "p")
            copier_projet(SOLUTION, dossier)
            for cible in ["libhp_avance.so", "hp_driver"]:
                compiler(dossier, cible=cible, options=["CFLAGS=-O2 -g -Werror"])
            _projet["dossier"] = dossier
        return _projet["dossier"]


def lancer(commande, precharge=False, entree=None, delai=120):
    env = dict(os.environ, LC_ALL="C")
    env.pop("HP_STATS", None)
    if precharge:
        env.update(LD_PRELOAD=os.path.join(projet(), "libhp_avance.so"), HP_STATS="1")
    return subprocess.run(commande, input=entree, capture_output=True, env=env, timeout=delai)


def blocs_servis(stderr):
    """Somme des blocs servis sur tous les résumés HP_STATS (un par processus)."""
    return sum(int(n) for n in re.findall(rb"blocs servis (\d+)", stderr))


class Contrat(unittest.TestCase):
    """tests/avance/check_avance.c appelle les fonctions avance_* ; le malloc du
    processus reste celui de la libc (ou d'ASan)."""

    def compiler_et_lancer(self, *options):
        tmp = tempfile.mkdtemp(prefix="td-contrat-avance-")
        self.addCleanup(shutil.rmtree, tmp)
        binaire = os.path.join(tmp, "check_avance")
        r = subprocess.run(["gcc", "-g", "-Wall", "-Wextra", "-Werror", "-DSANS_NOMS_LIBC", *options,
                            f"-I{SOLUTION}", "-o", binaire, os.path.join(ICI, "check_avance.c"),
                            os.path.join(SOLUTION, "hp_avance.c"), *CHECK, "-pthread"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([binaire], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("100%: Checks: 21, Failures: 0, Errors: 0", r.stdout)

    def test_contrat(self):
        self.compiler_et_lancer("-O2")

    def test_contrat_sous_asan_et_ubsan(self):
        self.compiler_et_lancer("-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                "-fno-omit-frame-pointer")


class Bibliotheque(unittest.TestCase):
    def symboles(self, chemin, *options):
        return subprocess.run(["nm", *options, "--defined-only", chemin], capture_output=True,
                              text=True, check=True).stdout

    def test_exporte_toute_la_famille_de_malloc(self):
        symboles = self.symboles(os.path.join(projet(), "libhp_avance.so"), "-D")
        for nom in FAMILLE + ["avance_" + f for f in FAMILLE] + ["hp_stats_lire", "hp_stats_afficher"]:
            self.assertRegex(symboles, rf" T {nom}\n", f"{nom} doit être exporté")

    def test_sans_noms_libc_ne_remplace_pas_malloc(self):
        tmp = tempfile.mkdtemp(prefix="td-avance-objet-")
        self.addCleanup(shutil.rmtree, tmp)
        objet = os.path.join(tmp, "hp_avance.o")
        subprocess.run(["gcc", "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-DSANS_NOMS_LIBC",
                        "-c", "-o", objet, os.path.join(SOLUTION, "hp_avance.c")], check=True)
        symboles = self.symboles(objet)
        for nom in FAMILLE:
            self.assertNotRegex(symboles, rf" T {nom}\n", f"{nom} ne doit pas être défini")
            self.assertRegex(symboles, rf" T avance_{nom}\n")

    def test_absent_de_l_archive_des_etudiants(self):
        for nom in ["hp_avance.c", "hp_avance.h"]:
            with open(os.path.join(SOLUTION, nom), encoding="utf-8") as f:
                self.assertIn("SOLUTION SEULEMENT", f.readline(), f"première ligne de {nom}")


class ProgrammesReels(unittest.TestCase):
    """Des programmes écrits par d'autres, avec et sans l'allocateur préchargé :
    la même sortie, octet pour octet."""

    def comparer(self, commande, entree=None):
        sans = lancer(commande, entree=entree)
        avec = lancer(commande, precharge=True, entree=entree)
        self.assertEqual(sans.returncode, 0, sans.stderr[-500:])
        self.assertEqual(avec.returncode, 0, avec.stderr[-500:])
        self.assertEqual(avec.stdout, sans.stdout, "sortie différente avec l'allocateur préchargé")
        return blocs_servis(avec.stderr)

    def test_sort(self):
        lignes = b"".join(b"%d\n" % ((i * 2654435761) % 1000003) for i in range(200000))
        self.assertGreater(self.comparer(["sort"], entree=lignes), 10)  # LC_ALL=C : peu de blocs

    def test_python_grand_dictionnaire(self):
        script = "d = {i: str(i) * 3 for i in range(200000)}; print(len(d), sum(map(len, d.values())))"
        self.assertGreater(self.comparer(["/usr/bin/python3", "-c", script]), 1000)

    def test_ls_recursif(self):
        self.assertGreater(self.comparer(["ls", "-lR", "/usr/include"]), 1000)

    def test_rien_sur_stdout(self):
        r = lancer(["true"], precharge=True)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, b"")
        self.assertIn("[hp] statistiques de l'allocateur avancé".encode(), r.stderr)


class Traces(unittest.TestCase):
    def test_toutes_les_traces_justes(self):
        dossier = projet()
        traces = sorted(glob.glob(os.path.join(dossier, "traces", "*.rep")))
        self.assertTrue(traces, "aucune trace dans solution/traces")
        r = lancer([os.path.join(dossier, "hp_driver"), "--csv", *traces], precharge=True)
        sortie = r.stdout.decode()
        self.assertEqual(r.returncode, 0, sortie + r.stderr.decode()[-1000:])
        lignes = list(csv.DictReader(io.StringIO("\n".join(l for l in sortie.splitlines() if "," in l))))
        self.assertEqual(sorted(os.path.basename(l["trace"]) for l in lignes),
                         [os.path.basename(t) for t in traces], sortie)
        for ligne in lignes:
            self.assertEqual(ligne["correct"], "oui", f"{ligne['trace']} : trace fausse\n{sortie}")
        self.assertGreater(blocs_servis(r.stderr), 0)
