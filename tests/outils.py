"""Outils partagés par les tests du kit : copier le projet étudiant, le
compiler et le noter comme le fait « make test »."""
import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTION = os.path.join(RACINE, "solution")
SQUELETTE = os.path.join(RACINE, "skeleton")
QUESTIONS = ["Q13", "Q16", "Q18", "Q20", "Q22"]


def charger_module(nom, chemin):
    spec = importlib.util.spec_from_file_location(nom, chemin)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


note = charger_module("note", os.path.join(SOLUTION, "tests", "note.py"))
squelette = charger_module("squelette", os.path.join(RACINE, "grader", "squelette.py"))

_verrou = threading.Lock()
_tests_compiles = {}


def copier_projet(source, destination):
    """Copie le projet étudiant sans ses produits de compilation."""
    ignores = squelette.motifs_ignores(source)
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*ignores))


def _objets_des_tests():
    """Objets des suites de tests, compilés une fois pour toutes les variantes
    (seul hp_allocator.c change d'une variante à l'autre)."""
    with _verrou:
        if "dossier" not in _tests_compiles:
            dossier = tempfile.mkdtemp(prefix="td-objets-")
            copier_projet(SOLUTION, os.path.join(dossier, "projet"))
            compiler(os.path.join(dossier, "projet"))
            _tests_compiles["dossier"] = os.path.join(dossier, "projet", "build")
        return _tests_compiles["dossier"]


def compiler(projet, cible="tests-compiles", env=None, options=()):
    """make dans projet ; lève AssertionError avec la sortie si ça échoue."""
    r = subprocess.run(["make", "-s", "-C", projet, *options, cible],
                       capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"la compilation de {projet} a échoué :\n{r.stdout}\n{r.stderr}")
    return r


def executer_tests(projet, build="build", env_en_plus=None, delai=120):
    """Lance check_hp du projet ; rend (questions notées, résultats, durée)."""
    xml = os.path.join(projet, build, "resultats_tests.xml")
    texte = os.path.join(projet, build, "resultats_tests.txt")
    env = dict(os.environ, CK_XML_LOG_FILE_NAME=xml, CK_LOG_FILE_NAME=texte,
               CK_VERBOSITY="silent", **(env_en_plus or {}))
    subprocess.run([os.path.join(projet, build, "check_hp")], cwd=projet, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=delai)
    resultats = note.lire_journal(xml, texte)
    bareme = note.lire_bareme(os.path.join(projet, "tests", "bareme.txt"))
    return {q["question"]: q for q in note.noter(bareme, resultats)}, resultats


def noter_variante(source_hp_allocator, env_en_plus=None):
    """Note un hp_allocator.c (texte) avec les tests de la solution."""
    objets = _objets_des_tests()
    with tempfile.TemporaryDirectory(prefix="td-variante-") as tmp:
        projet = os.path.join(tmp, "projet")
        copier_projet(SOLUTION, projet)
        # cp -p garde les dates : make ne recompile que hp_allocator.c
        subprocess.run(["cp", "-rp", objets, os.path.join(projet, "build")], check=True)
        with open(os.path.join(projet, "hp_allocator.c"), "w", encoding="utf-8") as f:
            f.write(source_hp_allocator)
        compiler(projet, options=["CFLAGS=-O2 -g -Werror"])
        return executer_tests(projet, env_en_plus=env_en_plus)
