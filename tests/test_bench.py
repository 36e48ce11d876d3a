"""Le bench : format du CSV, métadonnées, modes, options, make bench."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

from outils import SOLUTION, SQUELETTE, compiler, copier_projet

CLES = ["cpu", "cache_L1d_octets", "cache_L2_octets", "cache_L3_octets", "mode",
        "allocation", "reserve", "pages", "repetitions", "date"]
PETIT = ["--max", "256K", "--repetitions", "1", "--points", "2"]

_verrou = threading.Lock()
_projets = {}


def projet_compile(source):
    """Une copie compilée du projet, partagée par les tests de ce module."""
    with _verrou:
        if source not in _projets:
            tmp = tempfile.mkdtemp(prefix="td-bench-")
            copier_projet(source, os.path.join(tmp, "p"))
            compiler(os.path.join(tmp, "p"), cible="all")
            _projets[source] = os.path.join(tmp, "p")
        return _projets[source]


def lancer(programme, *args, source=SOLUTION, env=None):
    projet = projet_compile(source)
    return subprocess.run([os.path.join(projet, programme), *args], capture_output=True,
                          text=True, timeout=120, cwd=projet, env=env)


def lire_csv(texte):
    """Rend (métadonnées, en-tête, lignes) ; échoue si l'ordre n'est pas respecté."""
    meta, entete, lignes = {}, None, []
    for ligne in texte.splitlines():
        if ligne.startswith("#"):
            assert entete is None, "commentaire après l'en-tête"
            m = re.match(r"# (\w+): (.*)$", ligne)
            if m:
                meta[m.group(1)] = m.group(2)
        elif entete is None:
            entete = ligne
        else:
            lignes.append([float(x) for x in ligne.split(",")])
    return meta, entete, lignes


class Bench(unittest.TestCase):
    def verifie_csv(self, r, mode):
        self.assertEqual(r.returncode, 0, r.stderr)
        meta, entete, lignes = lire_csv(r.stdout)
        for cle in CLES:
            self.assertIn(cle, meta)
        self.assertEqual(meta["mode"], mode)
        self.assertEqual(entete, "taille_octets,ns_par_acces,ns_min,ns_max")
        tailles = [l[0] for l in lignes]
        self.assertGreaterEqual(len(lignes), 5)
        self.assertEqual(tailles, sorted(set(tailles)), "tailles strictement croissantes")
        self.assertLessEqual(tailles[0], 8192)
        self.assertEqual(tailles[-1], 256 * 1024)
        for t, mediane, mini, maxi in lignes:
            self.assertTrue(0 < mini <= mediane <= maxi, (t, mini, mediane, maxi))
        return meta, lignes

    def test_trois_modes_csv_valide(self):
        for mode in ["chase", "stride", "tlb"]:
            with self.subTest(mode):
                meta, _ = self.verifie_csv(lancer("bench_malloc", "--mode", mode, *PETIT), mode)
                self.assertEqual(meta["allocation"], "malloc")

    def test_progression_sur_stderr_seulement(self):
        r = lancer("bench_malloc", *PETIT)
        self.assertIn("bench : mode chase", r.stderr)
        self.assertNotIn("bench", "".join(l for l in r.stdout.splitlines(True) if not l.startswith("#")))

    def test_cache_l1_plus_rapide_que_la_ram(self):
        r = lancer("bench_malloc", "--max", "64M", "--repetitions", "3", "--points", "1")
        _, lignes = self.verifie_csv_libre(r)
        petit = min(l[1] for l in lignes if l[0] <= 16 * 1024)
        grand = lignes[-1][1]
        self.assertGreater(grand, 3 * petit, "64 Mio doit être bien plus lent que 16 Kio")

    def verifie_csv_libre(self, r):
        self.assertEqual(r.returncode, 0, r.stderr)
        meta, _, lignes = lire_csv(r.stdout)
        return meta, lignes

    def test_bench_huge_annonce_ses_pages(self):
        r = lancer("bench_huge", *PETIT, env=dict(os.environ, HP_PAGES="normales"))
        meta, _ = self.verifie_csv(r, "chase")
        self.assertEqual(meta["allocation"], "hp_malloc")
        self.assertEqual(meta["reserve"], "pages normales")
        self.assertIn("Kio", meta["pages"])

    def test_bench_huge_marche_avec_le_squelette(self):
        r = lancer("bench_huge", *PETIT, source=SQUELETTE)
        self.verifie_csv(r, "chase")
        self.assertIn("__hp_malloc pas encore écrit", r.stderr)

    def test_bench_pour_ld_preload(self):
        meta, _ = self.verifie_csv(lancer("bench", *PETIT), "chase")
        self.assertIn("malloc", meta["allocation"])

    def test_options_invalides(self):
        cas = [(["--mode", "x"], "mode inconnu"), (["--max", "1"], "taille invalide"),
               (["--max", "abc"], "taille invalide"), (["-z"], "option inconnue"),
               (["--repetitions", "0"], "répétitions invalide"), (["--max"], "valeur manquante"),
               (["--min", "1M", "--max", "64K"], "dépasse"), (["truc"], "argument inattendu")]
        for args, message in cas:
            with self.subTest(args):
                r = lancer("bench_malloc", *args)
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertEqual(r.stdout, "")

    def test_aide_en_francais(self):
        r = lancer("bench_malloc", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage", r.stdout)
        self.assertIn("--mode", r.stdout)
        self.assertIn("médiane", r.stdout)

    def test_make_bench_ecrit_csv_et_courbes(self):
        tmp = tempfile.mkdtemp(prefix="td-make-bench-")
        self.addCleanup(shutil.rmtree, tmp)
        # l'archive étudiante a courbe.py à côté du Makefile
        copier_projet(SOLUTION, os.path.join(tmp, "p"))
        shutil.copy(os.path.join(SOLUTION, "..", "courbe.py"), os.path.join(tmp, "p"))
        r = subprocess.run(["make", "-s", "-C", os.path.join(tmp, "p"), "bench",
                            "BENCH_OPTIONS=--max 128K --repetitions 1 --points 1"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        resultats = os.path.join(tmp, "p", "resultats")
        attendus = [f"result_{a}{m}.csv" for a in ["malloc", "huge"] for m in ["", "_stride", "_tlb"]]
        for nom in attendus + ["courbe.png", "courbe_tlb.png"]:
            self.assertTrue(os.path.getsize(os.path.join(resultats, nom)) > 0, nom)
        self.assertIn("resultats/courbe.png", r.stdout)


class HugePages(unittest.TestCase):
    SCRIPT = os.path.join(SOLUTION, "hugepages.sh")

    def lancer(self, *args, utilisateur=None):
        commande = ["sh", self.SCRIPT, *args]
        if utilisateur is not None:
            commande = ["setpriv", f"--reuid={utilisateur}", f"--regid={utilisateur}",
                        "--clear-groups", *commande]
        return subprocess.run(commande, capture_output=True, text=True, timeout=30)

    def test_etat_sans_droits(self):
        r = self.lancer("etat")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("huge pages de 2 Mio réservées", r.stdout)

    @unittest.skipUnless(os.geteuid() == 0, "il faut être root pour changer d'utilisateur")
    def test_sans_root_donne_les_commandes(self):
        r = self.lancer("on", utilisateur=65534)
        self.assertEqual(r.returncode, 1)
        self.assertIn("sudo make hugepages", r.stderr)
        self.assertIn("mount -t hugetlbfs -o mode=0777 none /mnt/huge", r.stderr)

    def test_action_ou_nombre_invalide(self):
        self.assertEqual(self.lancer("allume").returncode, 2)
        r = self.lancer("on", "beaucoup")
        self.assertEqual(r.returncode, 2)
        self.assertIn("nombre de pages invalide", r.stderr)
