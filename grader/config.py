"""Réglages du correcteur, définis une seule fois."""
import os
import sys

RACINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Les outils de l'enseignant parlent français jusque dans leurs erreurs de
# ligne de commande : l'analyseur de courbe.py, à la racine du kit.
sys.path.append(RACINE)
from courbe import AnalyseurFrancais, raison_os  # noqa: E402,F401
SOLUTION = os.path.join(RACINE, "solution")
CACHEES = os.path.join(RACINE, "grader", "cachees")

FICHIER_ETUDIANT = "hp_allocator.c"
TAILLE_MAX_SOURCE = 1 << 20          # un hp_allocator.c plus gros est refusé
TAILLE_MAX_ARCHIVE = 200 << 20       # octets décompressés lus au plus par archive
PROFONDEUR_ARCHIVES = 2              # archives dans des archives

# Poids des tests cachés : la note /20 est (publics + cachés) ramenée sur 20.
NOTE_MAX = 20

# Limites de chaque étape dans le bac à sable.
LIMITES = {
    "compilation": {"mur": 60, "cpu": 60},
    "tests": {"mur": 30, "cpu": 30},
    "performance": {"mur": 60, "cpu": 60},
}
# Délai de chaque test (s) : un test normal prend quelques millisecondes ; une
# boucle infinie ne coûte que ce test (les tests qui lancent des programmes ont
# leur propre délai, plus long).
DELAI_TEST = 1
MEMOIRE_MIO = 1024      # espace d'adressage par processus
PROCESSUS = 32          # processus et fils d'exécution du bac à sable
FICHIER_MIO = 32        # taille maximale d'un fichier écrit
SORTIE_GARDEE = 16 << 10  # octets de la sortie gardés pour le journal
# Sous root, le bac à sable tourne sous un uid sans droits, un par tâche :
# la limite de processus d'une soumission ne gêne pas les autres.
UID_BAC_A_SABLE = 61000

# Moodle : « Nom Prénom_12345_assignsubmission_file_ » (un dossier par étudiant).
MOTIF_MOODLE = r"^(?P<nom>.+?)_(?P<id>\d+)_assignsubmission_\w+?_?$"
