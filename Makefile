# TD « Mémoire » : point d'entrée unique du kit. « make help » liste les cibles.

PYTHON ?= python3

.DEFAULT_GOAL := help
.PHONY: help deps test skeleton clean

help:
	@echo "TD « Mémoire » : cibles disponibles"
	@echo ""
	@echo "Pour tous"
	@echo "  make deps       installe les paquets Debian/Ubuntu nécessaires (root ou sudo)"
	@echo "  make test       installe ce qui manque puis lance tous les tests du kit"
	@echo ""
	@echo "Pour les enseignants"
	@echo "  make skeleton   régénère skeleton/ à partir de solution/"
	@echo "  make clean      efface les produits de compilation"
	@echo ""
	@echo "Pour les étudiants : cd skeleton && make test (note sur 20)"

deps:
	@sh docker/install-deps.sh

test: deps
	@$(PYTHON) tests/lancer.py

skeleton:
	@$(PYTHON) grader/squelette.py

clean:
	$(MAKE) -s -C solution clean
	$(MAKE) -s -C skeleton clean
