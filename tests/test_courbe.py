"""courbe.py : tracé des mesures en PNG, les deux formats d'entrée, les
médianes, les traits des caches et les messages d'erreur en français.

courbe.py est lancé avec un Python qui a matplotlib (celui des tests, sinon
python3, sinon /usr/bin/python3) ; sans aucun, les tests sont ignorés.
"""
import functools
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COURBE = os.path.join(RACINE, "courbe.py")
META_KIT = {
    "cpu": "AMD EPYC", "cache_L1d_octets": "32768", "cache_L2_octets": "1048576",
    "cache_L3_octets": "33554432", "mode": "chase", "allocation": "malloc",
    "pages": "pages normales", "date": "2026-11-23T04:30:00Z",
}
TAILLES = [1 << e for e in range(10, 27)]  # de 1 Kio à 64 Mio


@functools.lru_cache(maxsize=None)
def python_avec_matplotlib():
    """Premier interpréteur qui importe matplotlib, ou None."""
    for py in [sys.executable, shutil.which("python3"), "/usr/bin/python3"]:
        if not py or not os.path.exists(py):
            continue
        r = subprocess.run([py, "-c", "import matplotlib"], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        if r.returncode == 0:
            return py
    return None


def environnement():
    """Sans écran, backend Agg, pas de __pycache__ dans le dépôt."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    return env


def ns_palier(taille):
    """Temps synthétique en escalier : L1, L2, L3 puis la RAM."""
    for limite, ns in [(32 << 10, 1.0), (1 << 20, 4.0), (32 << 20, 12.0)]:
        if taille < limite:
            return ns
    return 80.0


def ecrire(chemin, texte):
    with open(chemin, "w", encoding="utf-8") as f:
        f.write(texte)
    return chemin


def texte_kit(meta=META_KIT, tailles=TAILLES, decalage=0.0):
    lignes = [f"# {cle}: {valeur}" for cle, valeur in meta.items()]
    lignes += ["# mesure synthétique (commentaire libre)", "taille_octets,ns_par_acces,ns_min,ns_max"]
    for t in tailles:
        ns = ns_palier(t) + decalage
        lignes.append(f"{t},{ns:.3f},{ns * 0.9:.3f},{ns * 1.1:.3f}")
    return "\n".join(lignes) + "\n"


def texte_td(tailles=TAILLES):
    return "".join(f"{t // 1024} ko\t{ns_palier(t):f}\n" for t in tailles)


def dimensions_png(chemin):
    """(largeur, hauteur) lues dans le bloc IHDR ; échoue si ce n'est pas un PNG."""
    with open(chemin, "rb") as f:
        entete = f.read(24)
    assert entete[:8] == b"\x89PNG\r\n\x1a\n", f"{chemin} n'est pas un PNG"
    assert entete[12:16] == b"IHDR", f"{chemin} : bloc IHDR absent"
    return struct.unpack(">II", entete[16:24])


class CasCourbe(unittest.TestCase):
    def setUp(self):
        self.dossier = tempfile.mkdtemp(prefix="td-courbe-")
        self.addCleanup(shutil.rmtree, self.dossier, ignore_errors=True)

    def python(self):
        py = python_avec_matplotlib()
        if py is None:
            self.skipTest("matplotlib introuvable (ni ce Python, ni python3, ni /usr/bin/python3) : "
                          "sudo apt-get install python3-matplotlib")
        return py

    def fichier(self, nom, texte):
        return ecrire(os.path.join(self.dossier, nom), texte)

    def lancer(self, *args, python=None):
        return subprocess.run([python or self.python(), COURBE, *args], cwd=self.dossier,
                              env=environnement(), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=60)

    def script(self, code, *args):
        """Lance du code qui importe courbe et écrit du JSON ; rend l'objet lu."""
        entete = "import json, sys\nsys.path.insert(0, sys.argv[1])\nimport courbe\n"
        r = subprocess.run([self.python(), "-c", entete + code, RACINE, *args], cwd=self.dossier,
                           env=environnement(), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def appeler(self, fonction, *args):
        """courbe.fonction(*args) en JSON : importé ici si ce Python a
        matplotlib, sinon dans un sous-processus qui l'a."""
        if importlib.util.find_spec("matplotlib") is not None:
            spec = importlib.util.spec_from_file_location("courbe_teste", COURBE)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return json.loads(json.dumps(getattr(module, fonction)(*args)))
        code = "print(json.dumps(getattr(courbe, sys.argv[2])(*json.loads(sys.argv[3]))))"
        return self.script(code, fonction, json.dumps(args))

    def verifier_png(self, chemin, largeur=1000, hauteur=800):
        self.assertTrue(os.path.isfile(chemin), f"{chemin} absent")
        l, h = dimensions_png(chemin)
        self.assertAlmostEqual(l, largeur, delta=largeur * 0.05)
        self.assertAlmostEqual(h, hauteur, delta=hauteur * 0.05)

    def verifier_erreur(self, r, *extraits):
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        for e in extraits:
            self.assertIn(e, r.stderr)


class Trace(CasCourbe):
    def test_format_du_kit_donne_un_png_1000x800(self):
        csv = self.fichier("chase.csv", texte_kit())
        sortie = os.path.join(self.dossier, "sortie.png")
        r = self.lancer("--no-show", "-o", sortie, csv)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.verifier_png(sortie)
        self.assertIn(sortie, r.stdout)
        self.assertEqual(len(r.stdout.strip().splitlines()), 1, r.stdout)

    def test_format_du_td_donne_un_png(self):
        self.fichier("resultats.txt", texte_td())
        r = self.lancer("--no-show", "-o", "td.png", "resultats.txt")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.verifier_png(os.path.join(self.dossier, "td.png"))

    def test_plusieurs_fichiers_superposes(self):
        a = self.fichier("a.csv", texte_kit())
        b = self.fichier("b.txt", texte_td())
        r = self.lancer("--no-show", "-o", "deux.png", a, b)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.verifier_png(os.path.join(self.dossier, "deux.png"))

    def test_sortie_par_defaut_a_cote_du_premier_fichier(self):
        os.mkdir(os.path.join(self.dossier, "resultats"))
        self.fichier(os.path.join("resultats", "chase.csv"), texte_kit())
        r = self.lancer("--no-show", os.path.join("resultats", "chase.csv"))
        self.assertEqual(r.returncode, 0, r.stderr)
        attendu = os.path.join(self.dossier, "resultats", "courbe.png")
        self.verifier_png(attendu)
        self.assertFalse(os.path.exists(os.path.join(self.dossier, "courbe.png")))
        self.assertIn(os.path.join("resultats", "courbe.png"), r.stdout)

    def test_figure_deux_panneaux_etiquettes_et_caches(self):
        meta_mmap = dict(META_KIT, allocation="mmap", pages="huge pages")
        fichiers = [self.fichier("a.csv", texte_kit()), self.fichier("b.csv", texte_kit(meta_mmap, decalage=1)),
                    self.fichier("c.csv", texte_kit(decalage=2))]
        code = """series = courbe.nommer([dict(courbe.lire_csv(c), chemin=c) for c in sys.argv[3:]])
fig = courbe.tracer(series, sys.argv[2])
print(json.dumps([{"courbes": ax.get_legend_handles_labels()[1], "echelle": ax.get_xscale(),
                   "caches": [t.get_text().strip() for t in ax.texts], "y": ax.get_ylabel(),
                   "graduations": [t.get_text() for t in ax.get_xticklabels()]} for ax in fig.axes]))"""
        panneaux = self.script(code, os.path.join(self.dossier, "f.png"), *fichiers)
        self.assertEqual([p["echelle"] for p in panneaux], ["linear", "log"])
        for p in panneaux:
            self.assertEqual(p["courbes"], ["malloc, chase, pages normales (a.csv)",
                                            "mmap, chase, huge pages",
                                            "malloc, chase, pages normales (c.csv)"])
            self.assertEqual(p["caches"], ["L1", "L2", "L3"])
            self.assertEqual(p["y"], "temps par accès (ns)")
        for g in ["4 Kio", "256 Kio", "1 Mio", "16 Mio"]:
            self.assertIn(g, panneaux[1]["graduations"])
        self.verifier_png(os.path.join(self.dossier, "f.png"))


class Lecture(CasCourbe):
    def test_metadonnees_et_points(self):
        csv = self.fichier("m.csv", texte_kit(tailles=[8192, 4096]))
        res = self.appeler("lire_csv", csv)
        self.assertEqual(res["meta"]["cpu"], "AMD EPYC")
        self.assertEqual(res["meta"]["cache_L2_octets"], "1048576")
        self.assertEqual(res["points"], [[4096, 1.0], [8192, 1.0]])

    def test_tailles_repetees_donnent_la_mediane(self):
        csv = self.fichier("rep.csv", "taille_octets,ns_par_acces\n8192,4\n4096,1\n8192,100\n"
                                      "4096,9\n\n4096,2\n8192,6\n8192,5\n")
        self.assertEqual(self.appeler("lire_csv", csv)["points"], [[4096, 2.0], [8192, 5.5]])

    def test_format_du_td_en_kio(self):
        csv = self.fichier("td.txt", "4 ko\t1.5\t99\n8 ko\t2.25\n4 ko\t2.5\n")
        res = self.appeler("lire_csv", csv)
        self.assertEqual(res, {"meta": {}, "points": [[4096, 2.0], [8192, 2.25]]})

    def test_caches_lus_dans_sysfs_sans_metadonnees(self):
        faux = os.path.join(self.dossier, "cache")
        for i, (niveau, type_, taille) in enumerate([(1, "Data", "48K"), (1, "Instruction", "32K"),
                                                     (2, "Unified", "2048K"), (3, "Unified", "32768K")]):
            os.makedirs(os.path.join(faux, f"index{i}"))
            for nom, valeur in [("level", niveau), ("type", type_), ("size", taille)]:
                ecrire(os.path.join(faux, f"index{i}", nom), f"{valeur}\n")
        self.assertEqual(self.appeler("tailles_caches", {}, faux),
                         {"L1": 48 << 10, "L2": 2 << 20, "L3": 32 << 20})
        self.assertEqual(self.appeler("tailles_caches", {"cache_L1d_octets": "32768"}, faux), {"L1": 32768})
        self.assertEqual(self.appeler("tailles_caches", {}, os.path.join(self.dossier, "rien")), {})


class Erreurs(CasCourbe):
    def test_fichier_introuvable(self):
        r = self.lancer("--no-show", "absent.csv")
        self.verifier_erreur(r, "courbe.py : fichier introuvable : absent.csv")

    def test_fichier_vide_ou_seulement_des_commentaires(self):
        for nom, texte in [("vide.csv", ""), ("commentaires.csv", "# cpu: x\n# rien\n\n"),
                           ("entete.csv", "taille_octets,ns_par_acces,ns_min,ns_max\n")]:
            with self.subTest(nom=nom):
                self.fichier(nom, texte)
                self.verifier_erreur(self.lancer("--no-show", nom), nom, "aucune mesure")

    def test_ligne_illisible_donne_fichier_et_numero(self):
        self.fichier("result.csv", texte_kit(tailles=[1024, 2048]) + "abc,def\n")
        r = self.lancer("--no-show", "result.csv")
        numero = len(META_KIT) + 2 + 2 + 1
        self.verifier_erreur(r, f"result.csv:{numero}", "« abc,def »", "ligne illisible")

    def test_nombres_invalides(self):
        for ligne in ["4096,abc", "4096", "4096.5,1.0", "0,1.0", "-4096,1.0", "4096,-1", "4096,nan", "4096,inf"]:
            with self.subTest(ligne=ligne):
                self.fichier("n.csv", f"taille_octets,ns_par_acces\n1024,1.0\n{ligne}\n")
                self.verifier_erreur(self.lancer("--no-show", "n.csv"), "n.csv:3", f"« {ligne} »")

    def test_nombre_invalide_au_format_du_td(self):
        self.fichier("td.txt", "4 ko\t1.0\n8 ko\tabc\n")
        self.verifier_erreur(self.lancer("--no-show", "td.txt"), "td.txt:2", "ligne illisible")

    def test_sortie_impossible_a_ecrire(self):
        self.fichier("m.csv", texte_kit())
        r = self.lancer("--no-show", "-o", os.path.join("absent", "x.png"), "m.csv")
        self.verifier_erreur(r, "impossible d'écrire")

    def test_sans_fichier_usage_en_francais(self):
        r = self.lancer("--no-show")
        self.verifier_erreur(r, "utilisation", "manquant")

    def test_matplotlib_absent(self):
        csv = self.fichier("m.csv", texte_kit())
        code = ("import runpy, sys\nsys.modules['matplotlib'] = None\n"
                "sys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n")
        r = subprocess.run([sys.executable, "-c", code, COURBE, "--no-show", csv], cwd=self.dossier,
                           env=environnement(), capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        self.verifier_erreur(r, "python3-matplotlib", "/usr/bin/python3")
        self.assertFalse(os.path.exists(os.path.join(self.dossier, "courbe.png")))

    def test_aide_en_francais(self):
        r = self.lancer("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for texte in ["utilisation", "affiche cette aide", "--no-show", "courbe.png", "ko"]:
            self.assertIn(texte, r.stdout)
        for anglais in ["usage:", "show this help", "positional arguments"]:
            self.assertNotIn(anglais, r.stdout)


if __name__ == "__main__":
    unittest.main()
