# Everyday commands; the work is done by the scripts in scripts/.
.DEFAULT_GOAL := help
.PHONY: help run test build db-stop clean-db

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

run: ## build and run the server (starts a private PostgreSQL without DATABASE_URL)
	@bash scripts/run.sh

test: ## run every test: swift build, swift test, the contract suite
	@bash scripts/test.sh

build: ## build the ttdn executable (TTDN_BUILD_CONFIG=release for a release build)
	swift build -c $${TTDN_BUILD_CONFIG:-debug} --product ttdn

db-stop: ## stop the private PostgreSQL cluster of `make run`
	@bash scripts/db-stop.sh

clean-db: ## stop and delete the private cluster (and its admin token)
	@bash scripts/db-stop.sh --remove
