"""hp_driver (rejeu vérifié des traces), le générateur de traces et
compare.py : chaque faute d'un allocateur truqué est trouvée à sa ligne, une
trace illisible est refusée en français, les traces sont reproductibles."""
import csv
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

from outils import RACINE, SOLUTION, charger_module, compiler, copier_projet

ICI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver")
FAUTES = {"juste": 0, "mal_aligne": 1, "chevauche": 2, "corrompt": 3, "realloc_perd": 4, "rend_null": 5,
          "plante": 6, "boucle": 7}
# Trace minimale : le bloc 1 a la taille piège (1234) de mauvais_malloc.c.
TRACE = "0\n3\n6\n1\na 0 100\na 1 1234\na 2 50\nr 1 2000\nf 0\nf 2\n"
_verrou = threading.Lock()
_construit = {}


def construit():
    """Dossier temporaire avec hp_driver (compilé -Werror) et une bibliothèque
    truquée par faute ; construit une fois pour tous les tests."""
    with _verrou:
        if not _construit:
            tmp = tempfile.mkdtemp(prefix="td-driver-")
            copier_projet(SOLUTION, os.path.join(tmp, "p"))
            compiler(os.path.join(tmp, "p"), cible="hp_driver", options=["CFLAGS=-O2 -g -Werror"])
            for nom, numero in FAUTES.items():
                subprocess.run(["gcc", "-O2", "-fno-builtin", "-Wall", "-Wextra", "-Werror", "-shared",
                                "-fPIC", f"-DFAUTE={numero}", "-o", os.path.join(tmp, f"{nom}.so"),
                                os.path.join(ICI, "mauvais_malloc.c")], check=True, capture_output=True)
            with open(os.path.join(tmp, "t.rep"), "w") as f:
                f.write(TRACE)
            _construit["dossier"] = tmp
        return _construit["dossier"]


def trace(nom, texte):
    """Écrit une trace de test à côté du driver ; rend son chemin."""
    chemin = os.path.join(construit(), nom)
    with open(chemin, "w") as f:
        f.write(texte)
    return chemin


def driver(*args, precharge=None):
    tmp = construit()
    env = dict(os.environ, LC_ALL="C")
    env.pop("LD_PRELOAD", None)
    if precharge:
        env["LD_PRELOAD"] = os.path.join(tmp, precharge + ".so")
    return subprocess.run([os.path.join(tmp, "p", "hp_driver"), *args], capture_output=True, text=True,
                          env=env, cwd=tmp, timeout=120)


class FautesTrouvees(unittest.TestCase):
    def faute(self, nom, ligne, message):
        r = driver("t.rep", precharge=nom)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"t.rep, ligne {ligne} ", r.stderr)
        self.assertIn(message, r.stderr)
        self.assertIn("t.rep : FAUX", r.stdout)

    def test_allocateur_juste_accepte(self):
        # le même allocateur sans faute passe : ce sont bien les fautes qu'on voit
        r = driver("t.rep", precharge="juste")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("t.rep : correct, 6 opérations", r.stdout)

    def test_mal_aligne(self):
        self.faute("mal_aligne", 6, "non alignée sur 16 octets")

    def test_chevauchement(self):
        self.faute("chevauche", 6, "chevauche le bloc vivant 0")

    def test_donnees_corrompues(self):
        self.faute("corrompt", 10, "données du bloc 2 écrasées (octet 0) entre la ligne 7 et celle-ci")

    def test_plantage_ne_coute_que_sa_trace(self):
        sans_piege = trace("sans_piege.rep", TRACE.replace("1234", "1000"))
        r = driver("t.rep", sans_piege, "--csv", precharge="plante")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("t.rep : le rejeu a planté (signal 6)", r.stderr)
        lignes = r.stdout.splitlines()
        self.assertEqual(lignes[1].split(",")[:2], ["t.rep", "non"])
        self.assertEqual(lignes[2].split(",")[1], "oui")

    def test_taille_zero(self):
        # malloc(0) peut rendre NULL ; realloc(p, 0) libère p et rend NULL (glibc)
        r = driver(trace("zero.rep", "0\n2\n5\n1\na 0 0\na 1 8\nr 1 0\nf 0\nf 1\n"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_realloc_perd_des_octets(self):
        self.faute("realloc_perd", 8, "realloc a perdu l'octet 617 sur 1234")

    def test_null(self):
        self.faute("rend_null", 6, "NULL rendu pour 1234 octets")

    def test_csv_dit_non(self):
        r = driver("--csv", "t.rep", precharge="chevauche")
        self.assertEqual(r.stdout.splitlines()[1].split(",")[:2], ["t.rep", "non"])


class TracesIllisibles(unittest.TestCase):
    def refuse(self, texte, *attendus):
        r = driver(trace(f"{self.id()}.rep", texte))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        for attendu in attendus:
            self.assertIn(attendu, r.stderr)

    def test_en_tete_incomplet(self):
        self.refuse("10\n2\n", "ligne 3", "en-tête incomplet")

    def test_operation_inconnue(self):
        self.refuse("0\n2\n2\n1\na 0 8\nx 0\n", "ligne 6", "opération illisible")

    def test_taille_manquante_ou_negative(self):
        self.refuse("0\n2\n1\n1\na 0\n", "ligne 5", "taille manquante")
        self.refuse("0\n2\n1\n1\nr 0 -5\n", "ligne 5", "taille manquante ou invalide")

    def test_identifiant_hors_en_tete(self):
        self.refuse("0\n2\n1\n1\na 7 8\n", "ligne 5", "identifiant hors des bornes")

    def test_nombre_d_operations_faux(self):
        self.refuse("0\n2\n1\n1\na 0 8\nf 0\n", "ligne 6", "plus d'opérations que l'en-tête")
        self.refuse("0\n2\n3\n1\na 0 8\nf 0\n", "2 opérations lues, 3 annoncées")

    def test_fichier_absent_ou_dossier(self):
        r = driver("absente.rep")
        self.assertEqual(r.returncode, 2)
        self.assertIn("absente.rep : trace introuvable", r.stderr)
        r = driver(construit())
        self.assertIn("c'est un dossier, pas une trace", r.stderr)

    def test_sans_argument_ou_option_inconnue(self):
        self.assertEqual(driver().returncode, 2)
        r = driver("--vite", "t.rep")
        self.assertEqual(r.returncode, 2)
        self.assertIn("option inconnue : --vite", r.stderr)

    def test_identifiant_alloue_deux_fois(self):
        # la faute est dans la trace : aucun allocateur ne doit en être accusé
        self.refuse("0\n1\n3\n1\na 0 8\nr 0 16\na 0 8\n", "ligne 7", "identifiant déjà alloué")

    def test_en_tete_incomplet_sans_guillemets_vides(self):
        r = driver(trace("courte.rep", "0\n1\n"))
        self.assertIn("ligne 3 : en-tête incomplet (quatre nombres attendus)\n", r.stderr)


class Traces(unittest.TestCase):
    def test_generateur_deterministe_et_traces_a_jour(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            for dossier in (a, b):
                subprocess.run([sys.executable, os.path.join(RACINE, "grader", "traces.py"), dossier],
                               check=True, capture_output=True)
            noms = sorted(os.listdir(a))
            self.assertIn("LISEZMOI.md", noms)
            self.assertEqual(len([n for n in noms if n.endswith(".rep")]), 6)
            self.assertEqual(filecmp.cmpfiles(a, b, noms, shallow=False)[0], noms)
            dans_le_depot = filecmp.cmpfiles(a, os.path.join(SOLUTION, "traces"), noms, shallow=False)[0]
            self.assertEqual(dans_le_depot, noms, "traces/ n'est pas à jour : python3 grader/traces.py")

    def test_generateur_dossier_impossible(self):
        r = subprocess.run([sys.executable, os.path.join(RACINE, "grader", "traces.py"), "/proc/non/ici"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("traces : impossible d'écrire dans /proc/non/ici : dossier inexistant", r.stderr)

    def test_glibc_passe_toutes_les_traces_avec_une_utilisation_mesuree(self):
        traces = sorted(os.path.join(SOLUTION, "traces", n) for n in os.listdir(os.path.join(SOLUTION, "traces"))
                        if n.endswith(".rep"))
        r = driver("--csv", *traces)
        self.assertEqual(r.returncode, 0, r.stderr)
        lignes = list(csv.DictReader(r.stdout.splitlines()))
        self.assertEqual(len(lignes), len(traces))
        for l in lignes:
            self.assertEqual(l["correct"], "oui")
            self.assertGreater(float(l["debit_ops_par_s"]), 0)
            self.assertTrue(5 < float(l["utilisation_pourcent"]) <= 100, l)


class Compare(unittest.TestCase):
    """compare.py sur une petite trace, avec la glibc et des allocateurs
    truqués posés à la place de « votre allocateur »."""

    def compare(self, bibliotheque, *options):
        tmp = construit()
        sortie = self.sortie = tempfile.mkdtemp(prefix="td-compare-")
        self.addCleanup(shutil.rmtree, sortie)
        os.makedirs(os.path.join(sortie, "traces"))
        shutil.copy(os.path.join(tmp, "t.rep"), os.path.join(sortie, "traces"))
        if bibliotheque:
            shutil.copy(os.path.join(tmp, bibliotheque + ".so"), os.path.join(sortie, "libmalloc_wrapper.so"))
        r = subprocess.run([sys.executable, os.path.join(SOLUTION, "compare.py"), "--sortie", sortie,
                            "--driver", os.path.join(tmp, "p", "hp_driver"), "--traces",
                            os.path.join(sortie, "traces"), "--bibliotheques", sortie,
                            "--seulement", "votre allocateur", *options],
                           capture_output=True, text=True, timeout=120)
        lignes = []
        if os.path.exists(os.path.join(sortie, "compare.csv")):
            with open(os.path.join(sortie, "compare.csv"), encoding="utf-8") as f:
                lignes = list(csv.DictReader(f))
        return r, lignes

    def test_allocateur_faux_signale_et_hors_moyenne(self):
        r, lignes = self.compare("chevauche", "--sans-programmes")
        self.assertEqual(r.returncode, 0, r.stderr)
        par_cle = {(l["allocateur"], l["charge"]): l for l in lignes}
        self.assertEqual(par_cle[("glibc", "t")]["relatif_glibc"], "1.000")
        faux = par_cle[("votre allocateur", "t")]
        self.assertEqual(faux["correct"], "non")
        self.assertIn("chevauche", faux["remarque"])
        self.assertIn("1 trace(s) fausse(s)", par_cle[("votre allocateur", "moyenne géométrique")]["remarque"])

    def test_allocateur_qui_plante(self):
        r, lignes = self.compare("plante", "--sans-programmes")
        self.assertEqual(r.returncode, 0, r.stderr)
        faux = [l for l in lignes if l["allocateur"] == "votre allocateur" and l["charge"] == "t"][0]
        self.assertEqual(faux["correct"], "non")
        self.assertIn("t.rep : le rejeu a planté (signal 6)", faux["remarque"])

    def test_programmes_compares_a_la_sortie_de_la_glibc(self):
        r, lignes = self.compare("juste", "--repetitions", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        programmes = [l for l in lignes if l["type"] == "programme" and l["allocateur"] == "votre allocateur"]
        self.assertEqual({l["charge"] for l in programmes}, {"python3 (dict)", "sort", "gcc -c"})
        for l in programmes:
            self.assertEqual(l["correct"], "oui", l)
            self.assertGreater(float(l["relatif_glibc"]), 0)
            self.assertGreater(int(l["rss_max_kio"]), 1000)

    def test_allocateur_absent_saute_avec_un_message(self):
        r, lignes = self.compare(None, "--sans-programmes")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("votre allocateur sauté : libmalloc_wrapper.so absente", r.stdout)
        self.assertEqual({l["allocateur"] for l in lignes}, {"glibc"})

    def test_systeme_absent_saute(self):
        compare = charger_module("compare_module", os.path.join(SOLUTION, "compare.py"))
        compare.bibliotheque_systeme = lambda nom: None
        liste, sautes = compare.allocateurs("/nulle/part")
        self.assertEqual([a[0] for a in liste], ["glibc"])
        self.assertIn("mimalloc sauté : libmimalloc.so.2 introuvable (sudo apt-get install libmimalloc2.0)",
                      sautes)

    def test_allocateur_qui_boucle_arrete_sans_rien_laisser(self):
        r, lignes = self.compare("boucle", "--sans-programmes", "--delai", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        faux = [l for l in lignes if l["allocateur"] == "votre allocateur" and l["charge"] == "t"][0]
        self.assertEqual((faux["correct"], faux["remarque"]), ("non", "bloqué plus de 2 s"))
        restes = subprocess.run(["pgrep", "-f", f"hp_driver --csv {self.sortie}/"], capture_output=True,
                                text=True).stdout
        self.assertEqual(restes, "", "un rejeu bloqué tourne encore")

    def test_allocateur_inconnu(self):
        r, _ = self.compare(None, "--seulement", "ptmalloc")
        self.assertEqual(r.returncode, 2)
        self.assertIn("allocateur inconnu : ptmalloc (connus : « glibc », « jemalloc »", r.stderr)

    def test_options_fausses_en_francais(self):
        for options, attendu in [(["--repetitions", "abc"], "l'option --repetitions attend un nombre entier"),
                                 (["--vite"], "arguments inconnus : --vite"),
                                 (["--sortie", "/proc/non/ici", "--driver", os.path.join(construit(), "p", "hp_driver")],
                                  "impossible de créer /proc/non/ici : dossier inexistant")]:
            r = subprocess.run([sys.executable, os.path.join(SOLUTION, "compare.py"), *options],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, options)
            self.assertIn(attendu, r.stderr)
            self.assertNotIn("Traceback", r.stderr)

    def test_driver_absent(self):
        r = subprocess.run([sys.executable, os.path.join(SOLUTION, "compare.py"), "--driver", "/nulle/part",
                            "--sortie", tempfile.gettempdir()], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("driver introuvable : /nulle/part (lancez « make hp_driver »)", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
