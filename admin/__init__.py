"""The Flask-Admin UI (models, instances, people, audit) arrives with the admin issue."""
