"""Fabrique un corpus de soumissions pour les tests du correcteur et pour la
mesure de débit : correctes, partielles, fautives et hostiles, rangées comme
un téléchargement Moodle (« Nom Prénom_ID_assignsubmission_file_/… »).

Chaque soumission est décrite par (nom, fabrique) ; la fabrique écrit dans le
dossier de l'étudiant. Les sources hostiles sont la solution plus une
injection : leur comportement, sans l'injection, vaudrait 20/20.
"""
import io
import os
import tarfile
import zipfile

RACINE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION = os.path.join(RACINE, "solution", "hp_allocator.c")
SQUELETTE = os.path.join(RACINE, "skeleton", "hp_allocator.c")
DEBUT_MALLOC = "\ttaille = calcule_multiple_aligne(taille);\n\tbloc = recherche_bloc_libre(taille);\n"


def lire(chemin):
    with open(chemin, encoding="utf-8") as f:
        return f.read()


def solution():
    return lire(SOLUTION)


def injection_malloc(code, entete=""):
    """La solution, avec code exécuté au début de __hp_malloc."""
    texte = solution()
    assert DEBUT_MALLOC in texte
    return entete + "#include <fcntl.h>\n" + texte.replace(DEBUT_MALLOC, code + DEBUT_MALLOC)


def ecrire(dossier, relatif, contenu):
    chemin = os.path.join(dossier, relatif)
    os.makedirs(os.path.dirname(chemin), exist_ok=True)
    mode = "wb" if isinstance(contenu, bytes) else "w"
    with open(chemin, mode) as f:
        f.write(contenu)


def source(texte, relatif="hp_allocator.c"):
    return lambda dossier: ecrire(dossier, relatif, texte)


def archive_zip(membres):
    """membres : [(nom, octets, est_un_lien)]."""
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as z:
        for nom, octets, lien in membres:
            info = zipfile.ZipInfo(nom)
            if lien:
                info.external_attr = (0o120777 << 16)
            z.writestr(info, octets)
    return tampon.getvalue()


def archive_tgz(membres):
    """membres : [(nom, octets ou None, cible du lien ou None)]."""
    tampon = io.BytesIO()
    with tarfile.open(fileobj=tampon, mode="w:gz") as t:
        for nom, octets, cible in membres:
            info = tarfile.TarInfo(nom)
            if cible is not None:
                info.type, info.linkname = tarfile.SYMTYPE, cible
                t.addfile(info)
            else:
                info.size = len(octets)
                t.addfile(info, io.BytesIO(octets))
    return tampon.getvalue()


# --- Les hostiles -------------------------------------------------------------
# Les plus coûteux ne se déclenchent qu'une fois par programme de tests (un
# fichier témoin dans l'espace de travail) : le verdict est le même, les tests
# du kit restent rapides.

def une_fois(code):
    return ("\tif (access(\"deja_fait\", F_OK) != 0) {\n\t\tclose(creat(\"deja_fait\", 0600));\n"
            + code + "\t}\n")


FORK_BOMB = une_fois("""\t\tfor (int i = 0; i < 100000; i++)
\t\t\tif (fork() == 0) {
\t\t\t\tsetsid(); /* hors du groupe que Check tue après le test */
\t\t\t\tfor (;;)
\t\t\t\t\tpause();
\t\t\t}
""")
BOUCLE = "\tfor (volatile int i = 0; ; i++)\n\t\t;\n"
# boucle seulement pour __hp_malloc(30) juste après __hp_malloc(100) : un ou
# deux tests (test_q13_blocs_consecutifs) ; les autres gardent leurs points
BOUCLE_UN_TEST = ("\tstatic size_t precedente;\n"
                  "\tif (taille == 30 && precedente == 100)\n\t\tfor (volatile int i = 0; ; i++)\n\t\t\t;\n"
                  "\tprecedente = taille;\n")
BOMBE_MEMOIRE = une_fois("""\t\tfor (;;)
\t\t\tif (mmap(NULL, 1 << 24, PROT_READ | PROT_WRITE,
\t\t\t\t MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == MAP_FAILED)
\t\t\t\tabort();
""")
INONDATION = une_fois("\t\tfor (;;)\n\t\t\tfputs(\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\\n\", stdout);\n")
FAUX_JOURNAL = """\tstatic int fait;
\tif (!fait) {
\t\tconst char *faux = "<?xml version=\\"1.0\\"?><testsuites xmlns=\\"http://check.sourceforge.net/ns\\"></testsuites>";
\t\tfait = 1;
\t\tfor (int fd = 3; fd < 64; fd++)
\t\t\tif (write(fd, faux, strlen(faux)) < 0)
\t\t\t\tcontinue;
\t}
"""
CONSTRUCTEUR_EXIT = "__attribute__((constructor)) static void avant_main(void)\n{\n\texit(0);\n}\n"
CONSTRUCTEUR_FAUX_RAPPORT = ("__attribute__((constructor)) static void avant_main(void)\n{\n"
                             "\tputs(\"100%: Checks: 31, Failures: 0, Errors: 0\");\n"
                             "\tputs(\"Note : 20 / 20\");\n}\n")
REDEFINIT_CHECK = "int srunner_ntests_failed(void *sr)\n{\n\t(void)sr;\n\treturn 0;\n}\n"


def lecture_hors_espace(secret):
    """Plante tous les tests si le fichier secret (hors de l'espace) est lisible."""
    return f"\tif (access(\"{secret}\", R_OK) == 0)\n\t\tabort();\n"


def ecriture_hors_espace(marqueur):
    return f"\t{{ FILE *f = fopen(\"{marqueur}\", \"w\"); if (f) fclose(f); }}\n"


def reseau(port):
    """Plante les tests si une connexion vers 127.0.0.1:port réussit."""
    return ("\t{ struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(" + str(port) + "),\n"
            "\t\t.sin_addr.s_addr = htonl(0x7f000001) };\n"
            "\t  int s = socket(AF_INET, SOCK_STREAM, 0);\n"
            "\t  if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) abort();\n"
            "\t  if (s >= 0) close(s); }\n")


ENTETES_RESEAU = "#include <arpa/inet.h>\n#include <netinet/in.h>\n#include <sys/socket.h>\n"
