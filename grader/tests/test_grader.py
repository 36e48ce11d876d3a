"""Le correcteur sur un corpus de soumissions : correctes, partielles,
fautives et hostiles. Chacune a son verdict et sa note attendus ; aucune ne
doit s'échapper du bac à sable, bloquer le correcteur ou changer la note
d'une autre (elles sont notées deux par deux, en parallèle)."""
import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

ICI = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(ICI))
import bac_a_sable  # noqa: E402
import config  # noqa: E402
import correction  # noqa: E402
import notation  # noqa: E402
from corpus import (BOMBE_MEMOIRE, BOUCLE, BOUCLE_UN_TEST, CONSTRUCTEUR_EXIT, CONSTRUCTEUR_FAUX_RAPPORT,  # noqa: E402
                    ENTETES_RESEAU, FAUX_JOURNAL, FORK_BOMB, INONDATION, REDEFINIT_CHECK, SOLUTION,
                    archive_tgz, archive_zip, ecrire, ecriture_hors_espace, injection_malloc, lire,
                    lecture_hors_espace, reseau, solution, source, SQUELETTE)

GRADER = os.path.join(os.path.dirname(ICI), "grader")
MOODLE = "{nom}_{id}_assignsubmission_file_"


class Ecoute:
    """Un serveur sur 127.0.0.1 qui compte les connexions reçues."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(5)
        self.s.settimeout(0.2)
        self.port, self.connexions, self.fini = self.s.getsockname()[1], 0, False
        threading.Thread(target=self._boucle, daemon=True).start()

    def _boucle(self):
        while not self.fini:
            try:
                self.s.accept()[0].close()
                self.connexions += 1
            except OSError:
                pass


def fabriquer(dossier, hors):
    """Le corpus (dossier Moodle) ; rend {identifiant: (verdicts permis, note)}
    où note est un nombre, "partielle" (strictement entre 0 et 20) ou None."""
    secret, marqueur = os.path.join(hors, "secret.txt"), os.path.join(hors, "marqueur")
    entete_secret = os.path.join(hors, "secret.h")
    ecrire(hors, "secret.txt", "ne doit pas être lu")
    ecrire(hors, "secret.h", "#define SECRET 1\n")
    partielle = solution().replace("if (bloc->taille < taille)", "if (bloc->taille <= taille)")
    ecoute = Ecoute()
    sol = solution().encode()
    cas = {
        "10001": ("Alice Correcte", source(solution()), {"noté"}, 20),
        "10002": ("Bruno Squelette", source(lire(SQUELETTE)), {"noté"}, 0),
        "10003": ("Chloé Partielle", source(partielle), {"noté"}, "partielle"),
        "10004": ("Denis Compilation", source("int x = ;\n"), {"erreur de compilation"}, 0),
        "10005": ("Élodie Dupré", source(solution(), "TD mémoire/src/hp_allocator.c"), {"noté"}, 20),
        # la note d'une fork bomb dépend du moment où le noyau refuse les fork : ce
        # qui est vérifié, c'est qu'elle reste dans son bac à sable (test_rien_ne_s_echappe)
        "10006": ("Fabien Fourche", source(injection_malloc(FORK_BOMB)),
                  {"noté", "plantage", "temps dépassé"}, "quelconque"),
        "10007": ("Gaël Boucle", source(injection_malloc(BOUCLE)), {"temps dépassé"}, 0),
        "10023": ("Hélène Boucle Partielle", source(injection_malloc(BOUCLE_UN_TEST)), {"noté"}, "partielle"),
        "10008": ("Hugo Mémoire", source(injection_malloc(BOMBE_MEMOIRE)), {"mémoire dépassée"}, "partielle"),
        "10009": ("Inès Inondation", source(injection_malloc(INONDATION)), {"noté"}, "partielle"),
        "10010": ("Jules Lecteur", source(injection_malloc(lecture_hors_espace(secret))), {"noté"}, 20),
        "10011": ("Karim Écrivain", source(injection_malloc(ecriture_hors_espace(marqueur))), {"noté"}, 20),
        "10012": ("Léa Réseau", source(injection_malloc(reseau(ecoute.port), ENTETES_RESEAU)), {"noté"}, 20),
        "10013": ("Marc Include", source(f'#include "{entete_secret}"\n' + solution()), {"erreur de compilation"}, 0),
        "10014": ("Nina Constructeur", source(solution() + CONSTRUCTEUR_EXIT), {"code interdit"}, 0),
        "10015": ("Omar Faux Rapport", source(solution() + CONSTRUCTEUR_FAUX_RAPPORT), {"code interdit"}, 0),
        "10016": ("Paul Faux Journal", source(injection_malloc(FAUX_JOURNAL)), {"code interdit"}, 0),
        "10017": ("Quentin Check", source(lire(SQUELETTE) + REDEFINIT_CHECK), {"noté"}, 0),
        "10018": ("Rose Exit", source(injection_malloc("\texit(0);\n")), {"noté"}, "faible"),
        "10019": ("Sami Traversée", lambda d: ecrire(d, "rendu.zip", archive_zip(
            [("../../evade.txt", b"hors de l'archive", False), ("hp_allocator.c", b"/etc/passwd", True),
             ("rendu/hp_allocator.c", sol, False)])), {"noté"}, 20),
        "10020": ("Tom Lien", lambda d: ecrire(d, "rendu.tgz", archive_tgz(
            [("hp_allocator.c", None, SOLUTION)])), {"fichier manquant"}, 0),
        "10021": ("Ugo Imbriqué", lambda d: ecrire(d, "rendu.tar.gz", archive_tgz(
            [("td/hp_allocator.c", sol, None)])), {"noté"}, 20),
        "10022": ("Véra Rien", source("Je n'ai pas fini.\n", "LISEZMOI.txt"), {"fichier manquant"}, 0),
    }
    for ident, (nom, fabrique, _, _) in cas.items():
        fabrique(os.path.join(dossier, MOODLE.format(nom=nom, id=ident)))
    attendus = {ident: (verdicts, note) for ident, (_, _, verdicts, note) in cas.items()}
    return attendus, ecoute, marqueur


def lire_notes(sortie):
    with open(os.path.join(sortie, "notes.csv"), encoding="utf-8") as f:
        return {ligne["identifiant"]: ligne for ligne in csv.DictReader(f)}


def contenus(sortie):
    """Tous les fichiers de sortie sauf les horodatés et l'image."""
    fichiers = {}
    for racine, _, noms in os.walk(sortie):
        for nom in noms:
            chemin = os.path.join(racine, nom)
            if nom in ("journal.log", "resume.png") or ".cache" in chemin:
                continue
            with open(chemin, "rb") as f:
                fichiers[os.path.relpath(chemin, sortie)] = f.read()
    return fichiers


@unittest.skipUnless(bac_a_sable.bwrap_utilisable(), "bubblewrap indisponible")
class Corpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="td-corpus-")
        cls.entrees = os.path.join(cls.tmp, "moodle")
        cls.hors = os.path.join(cls.tmp, "hors")
        cls.attendus, cls.ecoute, cls.marqueur = fabriquer(cls.entrees, cls.hors)
        cls.cassee = os.path.join(cls.tmp, "Wanda Cassée.zip")
        with open(cls.cassee, "wb") as f:
            f.write(b"PK\x03\x04 ceci n'est pas un zip")
        cls.sortie = os.path.join(cls.tmp, "sortie")
        # La boucle infinie est tuée bien avant la limite réelle (30 s) ; la
        # bombe mémoire a une limite deux fois plus basse à atteindre et deux
        # fois plus de temps pour le faire, même sur une machine chargée.
        ancien, delai, memoire = dict(config.LIMITES["tests"]), config.DELAI_TEST, config.MEMOIRE_MIO
        config.LIMITES["tests"]["mur"], config.DELAI_TEST, config.MEMOIRE_MIO = 15, 2, 512
        try:
            cls.code = correction.corriger([cls.entrees, cls.cassee], cls.sortie, 2)
            cls.premier = contenus(cls.sortie)
            # vraie seconde correction d'une copie dont les messages citent des adresses
            cls.code_bis = correction.corriger([cls.entrees], cls.sortie, 2, forcer=True,
                                               seulement="Chloé")
            cls.second = contenus(cls.sortie)
            cls.code_ter = correction.corriger([cls.entrees], cls.sortie, 2, seulement="Alice")
            # l'indice de performance, dans un autre dossier
            cls.sortie_perf = os.path.join(cls.tmp, "sortie-perf")
            cls.code_perf = correction.corriger([cls.entrees], cls.sortie_perf, 2, seulement="Alice",
                                                performance=True)
        finally:
            config.LIMITES["tests"].update(ancien)
            config.DELAI_TEST, config.MEMOIRE_MIO = delai, memoire
        cls.ecoute.fini = True
        cls.notes = lire_notes(cls.sortie)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_verdicts_et_notes_attendus(self):
        self.assertEqual(self.code, 0)
        for ident, (verdicts, attendue) in self.attendus.items():
            with self.subTest(ident=ident, nom=self.notes[ident]["nom"]):
                ligne = self.notes[ident]
                self.assertIn(ligne["verdict"], verdicts)
                note = float(ligne["note_sur_20"])
                if attendue == "quelconque":
                    self.assertTrue(0 <= note <= 20, note)
                elif attendue == "partielle":
                    self.assertTrue(0 < note < 20, note)
                elif attendue == "faible":
                    self.assertLess(note, 10)
                else:
                    self.assertEqual(note, attendue)

    def test_archive_illisible(self):
        ligne = self.notes["Wanda_Cassée"]
        self.assertEqual(ligne["verdict"], "archive illisible")

    def test_rien_ne_s_echappe(self):
        self.assertFalse(os.path.exists(self.marqueur), "écriture hors de l'espace de travail")
        self.assertEqual(self.ecoute.connexions, 0, "connexion réseau depuis le bac à sable")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "evade.txt")))
        if os.geteuid() == 0:
            restes = [p for t in range(2) for p in bac_a_sable._processus_de(bac_a_sable.uid_de(t))]
            self.assertEqual(restes, [], "processus du bac à sable encore vivants")

    def test_noms_moodle_accents_et_espaces(self):
        self.assertEqual(self.notes["10005"]["nom"], "Élodie Dupré")
        with open(os.path.join(self.sortie, "10005", "retour.md"), encoding="utf-8") as f:
            self.assertIn("retour pour Élodie Dupré", f.read())

    def test_retours(self):
        with open(os.path.join(self.sortie, "10004", "retour.md"), encoding="utf-8") as f:
            self.assertIn("error: expected expression", f.read())
        with open(os.path.join(self.sortie, "10003", "retour.md"), encoding="utf-8") as f:
            texte = f.read()
        self.assertIn("test_q16_taille_exacte", texte)      # test public nommé
        self.assertIn("Leur détail n'est pas communiqué", texte)
        self.assertNotIn("test_cache", texte)               # tests cachés : résumé seulement
        with open(os.path.join(self.sortie, "10019", "retour.md"), encoding="utf-8") as f:
            self.assertIn("lien symbolique : ignoré", f.read())

    def test_results_json_gradescope(self):
        with open(os.path.join(self.sortie, "10003", "results.json"), encoding="utf-8") as f:
            donnees = json.load(f)
        self.assertEqual(set(donnees), {"score", "output", "tests", "visibility", "stdout_visibility"})
        visibles = {t["visibility"] for t in donnees["tests"]}
        self.assertEqual(visibles, {"visible", "hidden"})
        for t in donnees["tests"]:
            self.assertTrue({"name", "score", "max_score", "output", "visibility"} <= set(t))

    def test_resume(self):
        with open(os.path.join(self.sortie, "resume.md"), encoding="utf-8") as f:
            texte = f.read()
        self.assertIn(f"Soumissions : {len(self.attendus) + 1}", texte)
        self.assertIn("Réussite par question", texte)
        with open(os.path.join(self.sortie, "resume.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_renoter_donne_les_memes_fichiers(self):
        self.assertEqual(self.code_bis, 0)
        self.assertIn("0x", self.second["10003/retour.md"].decode())  # des adresses, et pourtant :
        self.assertEqual(self.second, self.premier)

    def test_relancer_ne_renote_que_ce_qui_a_change(self):
        self.assertEqual(self.code_ter, 0)
        with open(os.path.join(self.sortie, "journal.log"), encoding="utf-8") as f:
            dernieres = f.read().splitlines()[-2:]
        self.assertIn("Alice Correcte : noté, 20/20 (déjà noté)", dernieres[0])

    def test_indice_de_performance_hors_note(self):
        self.assertEqual(self.code_perf, 0)
        alice = lire_notes(self.sortie_perf)["10001"]
        self.assertEqual(alice["note_sur_20"], "20")
        self.assertGreater(float(alice["debit_relatif_glibc"]), 0)
        self.assertTrue(0 < float(alice["utilisation_pourcent"]) <= 100)
        with open(os.path.join(self.sortie_perf, "10001", "retour.md"), encoding="utf-8") as f:
            retour = f.read()
        self.assertIn("## Performances (à titre indicatif, hors note)", retour)
        self.assertIn("Traces justes : 6 sur 6", retour)
        self.assertRegex(retour, r"\| petits_objets \| oui \| [0-9,]+ \| [0-9,]+ % \|")
        # sans découpage ni fusion, un tampon qui grandit laisse tous ses
        # anciens blocs derrière lui : l'utilisation s'effondre
        util = re.search(r"\| realloc_croissant \| oui \| [0-9,]+ \| ([0-9,]+) % \|", retour)
        self.assertLess(float(util.group(1).replace(",", ".")), 10)
        # sans --performance, pas de colonnes de performance
        self.assertNotIn("debit_relatif_glibc", self.notes["10001"])

    def test_sorties_de_taille_raisonnable(self):
        for racine, _, noms in os.walk(self.sortie):
            for nom in noms:
                self.assertLess(os.path.getsize(os.path.join(racine, nom)), 1 << 20, nom)


class IndiceDePerformance(unittest.TestCase):
    """Le canal des mesures peut être écrit par le code de l'étudiant : une
    ligne illisible ne coûte que la trace, jamais la note."""

    def test_lignes_illisibles_ou_hors_bornes(self):
        glibc = ["oui", "100", "1000", "60.0"]
        self.assertEqual(notation._rapport(glibc, ["oui", "100", "2000", "50.0"]), (2.0, 50.0))
        self.assertEqual(notation._rapport(glibc, ["oui", "100", "2000", "-1.0"]), (2.0, None))
        self.assertEqual(notation._rapport(glibc, ["oui", "100", "vite", "50"]), (None, None))
        self.assertEqual(notation._rapport(glibc, ["non", "100", "0", "0"]), (None, None))
        self.assertEqual(notation._rapport(["oui", "1", "0", "0"], ["oui", "1", "5", "5"]), (None, None))
        self.assertEqual(notation._rapport(None, ["oui", "1", "5", "5"]), (None, None))


class PanneDuCorrecteur(unittest.TestCase):
    def test_panne_ne_coute_aucun_point(self):
        class BacEnPanne:
            def preparer(self, espace, tache):
                pass

            def lancer(self, *args, **kwargs):
                return bac_a_sable.Resultat(1, False, 0, "bwrap: creating new namespace failed",
                                            demarrage_rate=True)

        tmp = tempfile.mkdtemp(prefix="td-panne-")
        self.addCleanup(shutil.rmtree, tmp)
        os.chmod(tmp, 0o711)
        modele = notation.Modele(tmp)
        soumission = notation.Resultat("1", "x", "")
        res = notation.noter(soumission, solution().encode(), modele, BacEnPanne(), tmp, 0)
        self.assertEqual(res.verdict, notation.INFRASTRUCTURE)
        self.assertIsNone(res.note)


class LigneDeCommande(unittest.TestCase):
    def lancer(self, *args):
        return subprocess.run([GRADER, *args], capture_output=True, text=True, timeout=60)

    def test_sans_commande(self):
        r = self.lancer()
        self.assertEqual(r.returncode, 2)
        self.assertIn("grade", r.stderr)

    def test_soumission_introuvable(self):
        r = self.lancer("grade", "/nulle/part", "-o", tempfile.mkdtemp())
        self.assertEqual(r.returncode, 2)
        self.assertIn("soumission introuvable : /nulle/part", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_erreurs_de_ligne_de_commande_en_francais(self):
        r = self.lancer("grade", "x", "-o", tempfile.mkdtemp(), "-j", "beaucoup")
        self.assertEqual(r.returncode, 2)
        self.assertIn("grader grade : erreur : l'option -j/--taches attend un nombre entier", r.stderr)
        self.assertIn("utilisation : grader grade", r.stderr)
        r = self.lancer("grade")
        self.assertIn("argument obligatoire manquant : SOUMISSION, -o/--sortie", r.stderr)

    def test_aide_en_francais(self):
        r = self.lancer("grade", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("dossier des résultats", r.stdout)


class Gradescope(unittest.TestCase):
    def test_archive_et_run_autograder(self):
        tmp = tempfile.mkdtemp(prefix="td-gradescope-")
        self.addCleanup(shutil.rmtree, tmp)
        archive = os.path.join(tmp, "gradescope.zip")
        r = subprocess.run([sys.executable, os.path.join(os.path.dirname(ICI), "gradescope.py"),
                            "-o", archive], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        import zipfile
        with zipfile.ZipFile(archive) as z:
            noms = set(z.namelist())
            z.extractall(os.path.join(tmp, "source"))
            executables = {i.filename for i in z.infolist() if (i.external_attr >> 16) & 0o111}
        self.assertTrue({"setup.sh", "run_autograder", "grader/grader", "solution/hp_allocator.c",
                         "grader/cachees/bareme.txt", "docker/install-deps.sh"} <= noms)
        self.assertTrue({"setup.sh", "run_autograder", "grader/grader"} <= executables)
        self.assertFalse(any(n.startswith(("skeleton/", "grader/tests/", "sujet/")) for n in noms))
        for nom in executables:
            os.chmod(os.path.join(tmp, "source", nom), 0o755)
        ecrire(os.path.join(tmp, "submission"), "hp_allocator.c", solution())
        r = subprocess.run(["bash", os.path.join(tmp, "source", "run_autograder")], capture_output=True,
                           text=True, env=dict(os.environ, AUTOGRADER=tmp), timeout=300)
        with open(os.path.join(tmp, "results", "results.json"), encoding="utf-8") as f:
            resultat = json.load(f)
        self.assertEqual(resultat["score"], 20, r.stderr[-2000:])


class Soumissions(unittest.TestCase):
    """Trouver les soumissions sans rien noter (rapide)."""

    def test_zip_moodle_avec_archive_imbriquee(self):
        import soumissions
        tmp = tempfile.mkdtemp(prefix="td-moodle-")
        self.addCleanup(shutil.rmtree, tmp)
        interne = archive_tgz([("td/src/hp_allocator.c", "/* Zoé */".encode(), None)])
        moodle = archive_zip([
            ("Zoé Lefèvre_31_assignsubmission_file_/rendu.tar.gz", interne, False),
            ("Yann Le Gall_32_assignsubmission_file_/TD/hp_allocator.c", b"/* Yann */", False),
            ("Yann Le Gall_32_assignsubmission_file_/__MACOSX/TD/._hp_allocator.c", b"\0\0", False),
            ("Xavier_33_assignsubmission_onlinetext_/texte.html", b"<p>rien</p>", False)])
        chemin = os.path.join(tmp, "Tous les travaux.zip")
        with open(chemin, "wb") as f:
            f.write(moodle)
        trouvees = {s.identifiant: s for s in soumissions.decouvrir([chemin])}
        self.assertEqual(sorted(trouvees), ["31", "32", "33"])
        self.assertEqual(trouvees["31"].nom, "Zoé Lefèvre")
        self.assertEqual(soumissions.source_etudiant(trouvees["31"])[0], "/* Zoé */".encode())
        self.assertEqual(soumissions.source_etudiant(trouvees["32"])[0], b"/* Yann */")
        self.assertIsNone(soumissions.source_etudiant(trouvees["33"])[0])

    def test_format_non_reconnu(self):
        import soumissions
        with tempfile.NamedTemporaryFile(suffix=".rar") as f:
            with self.assertRaises(soumissions.ErreurEntree) as e:
                soumissions.decouvrir([f.name])
        self.assertIn("format non reconnu", str(e.exception))
