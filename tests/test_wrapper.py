"""L'enveloppe de malloc (malloc_wrapper.c) et LD_PRELOAD : le contrat de
chaque fonction (aussi sous ASan), de vrais programmes préchargés qui donnent
la même sortie, un test de charge multi-fils, et le squelette qui se replie
sur la libc."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

from outils import SOLUTION, SQUELETTE, compiler, copier_projet

ICI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrapper")
CHECK = subprocess.run(["pkg-config", "--cflags", "--libs", "check"], capture_output=True,
                       text=True).stdout.split()
_verrou = threading.Lock()
_bibliotheques = {}


def bibliotheque(source):
    """libmalloc_wrapper.so compilée (-Werror) pour une copie de source."""
    with _verrou:
        if source not in _bibliotheques:
            tmp = tempfile.mkdtemp(prefix="td-wrapper-")
            projet = os.path.join(tmp, "p")
            copier_projet(source, projet)
            compiler(projet, cible="all", options=["CFLAGS=-O2 -g -Werror"])
            _bibliotheques[source] = projet
        return _bibliotheques[source]


def lancer(commande, precharge=None, entree=None, delai=120):
    env = dict(os.environ, LC_ALL="C")
    if precharge:
        env.update(LD_PRELOAD=os.path.join(precharge, "libmalloc_wrapper.so"), HP_STATS="1")
    return subprocess.run(commande, input=entree, capture_output=True, env=env, timeout=delai)


def blocs_servis(stderr):
    """Somme des blocs servis par la réserve sur tous les résumés HP_STATS."""
    return sum(int(n) for n in re.findall(rb"servis par la r\xc3\xa9serve (\d+)", stderr))


class Contrat(unittest.TestCase):
    def compiler_et_lancer(self, *options):
        tmp = tempfile.mkdtemp(prefix="td-contrat-")
        self.addCleanup(shutil.rmtree, tmp)
        binaire = os.path.join(tmp, "check_wrapper")
        subprocess.run(["gcc", "-g", "-Wall", "-Wextra", "-Werror", *options, f"-I{SOLUTION}",
                        "-o", binaire, os.path.join(ICI, "check_wrapper.c"),
                        os.path.join(SOLUTION, "malloc_wrapper.c"),
                        os.path.join(SOLUTION, "hp_allocator.c"), *CHECK, "-ldl", "-pthread"],
                       check=True, capture_output=True)
        r = subprocess.run([binaire], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("100%: Checks: 15, Failures: 0, Errors: 0", r.stdout)

    def test_contrat_avec_les_noms_de_la_libc(self):
        self.compiler_et_lancer("-O2")

    def test_contrat_sous_asan_et_ubsan(self):
        self.compiler_et_lancer("-O1", "-DSANS_NOMS_LIBC", "-fsanitize=address,undefined",
                                "-fno-sanitize-recover=all")

    def test_libhp_exporte_hp_malloc_et_hp_free(self):
        projet = bibliotheque(SOLUTION)
        symboles = subprocess.run(["nm", "-D", "--defined-only", os.path.join(projet, "libhp.so")],
                                  capture_output=True, text=True, check=True).stdout
        for nom in ["hp_malloc", "hp_free"]:
            self.assertRegex(symboles, rf" T {nom}\n")


class ProgrammesReels(unittest.TestCase):
    """Des programmes écrits par d'autres, avec et sans l'allocateur préchargé."""

    def comparer(self, commande, source=SOLUTION, entree=None):
        projet = bibliotheque(source)
        sans = lancer(commande, entree=entree)
        avec = lancer(commande, precharge=projet, entree=entree)
        self.assertEqual(sans.returncode, 0, sans.stderr[-500:])
        self.assertEqual(avec.returncode, 0, avec.stderr[-500:])
        self.assertEqual(avec.stdout, sans.stdout, "sortie différente avec l'allocateur préchargé")
        return blocs_servis(avec.stderr)

    def test_ls_recursif(self):
        self.assertGreater(self.comparer(["ls", "-lR", "/usr/include"]), 1000)

    def test_sort_d_un_million_de_lignes(self):
        lignes = b"".join(b"%d\n" % ((i * 2654435761) % 1000003) for i in range(1000000))
        self.assertGreater(self.comparer(["sort"], entree=lignes), 0)

    def test_python_grand_dictionnaire(self):
        script = "d = {i: str(i) * 3 for i in range(300000)}; print(len(d), sum(map(len, d.values())))"
        self.assertGreater(self.comparer(["/usr/bin/python3", "-c", script]), 100)

    def test_gcc_compile_un_fichier(self):
        commande = ["gcc", "-O2", "-S", "-o", "-", os.path.join(SOLUTION, "hp_allocator.c")]
        self.assertGreater(self.comparer(commande), 100)

    def test_perl_table_de_hachage(self):
        script = 'my %h; $h{$_} = "x" x ($_ % 100) for 1..200000; print scalar(keys %h), "\\n"'
        self.assertGreater(self.comparer(["perl", "-e", script]), 1000)

    def test_charge_multi_fils(self):
        projet = bibliotheque(SOLUTION)
        binaire = os.path.join(projet, "stress_fils")
        subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", binaire,
                        os.path.join(ICI, "stress_fils.c")], check=True)
        r = lancer([binaire, "4", "50000"], precharge=projet)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"millions d'op", r.stdout)
        self.assertGreater(blocs_servis(r.stderr), 10000)

    def test_squelette_tout_passe_par_la_libc(self):
        servis = self.comparer(["sort"], source=SQUELETTE, entree=b"b\na\nc\n" * 1000)
        self.assertEqual(servis, 0)

    def test_bench_precharge_dit_d_ou_vient_son_tampon(self):
        projet = bibliotheque(SOLUTION)
        r = lancer([os.path.join(projet, "bench"), "--max", "1M", "-r", "1"], precharge=projet)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("# reserve: réserve de hp_malloc (LD_PRELOAD)".encode(), r.stdout)
        r = lancer([os.path.join(projet, "bench"), "--max", "1M", "-r", "1"])
        self.assertIn(b"# reserve: malloc de la libc", r.stdout)

    def test_rien_sur_stdout(self):
        projet = bibliotheque(SOLUTION)
        r = lancer(["true"], precharge=projet)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"[hp] statistiques", r.stderr)
