"""The assignee's grants follow the ``assignee`` column in the database itself, whatever writes it.

``support.services.TICKET_ASSIGNEE_GRANTS`` keeps them in step on saves, deletes and
``owned_rows_update`` (decision 0015); a plain ``QuerySet.update(assignee=...)``, a data fix in SQL or a
restore reaches none of those. This statement-level trigger does, for every UPDATE that changes assignees:
the previous assignee's view/change grants on the ticket go, the new one's come (``ON CONFLICT DO
NOTHING``: the Python rule may have given them already). It takes back only those two permissions, as the
Python rule does. PostgreSQL only; SQLite (the first-run default) keeps the Python rule alone.
"""

from django.db import migrations

GRANTED = """
    SELECT p.id FROM auth_permission p
    JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE ct.app_label = 'support' AND ct.model = 'supportticket'
      AND p.codename IN ('view_supportticket', 'change_supportticket')
"""

FORWARD = f"""
CREATE OR REPLACE FUNCTION support_ticket_assignee_grants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM support_supportticketuserobjectpermission grant_row
    USING old_rows o JOIN new_rows n ON n.id = o.id
    WHERE o.assignee_id IS DISTINCT FROM n.assignee_id
      AND grant_row.content_object_id = o.id
      AND grant_row.user_id = o.assignee_id
      AND grant_row.permission_id IN ({GRANTED});
    INSERT INTO support_supportticketuserobjectpermission (user_id, permission_id, content_object_id)
    SELECT n.assignee_id, granted.id, n.id
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    CROSS JOIN ({GRANTED}) granted
    WHERE n.assignee_id IS NOT NULL AND o.assignee_id IS DISTINCT FROM n.assignee_id
    ON CONFLICT (user_id, permission_id, content_object_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER support_ticket_assignee_grants
    AFTER UPDATE ON support_supportticket
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_ticket_assignee_grants();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS support_ticket_assignee_grants ON support_supportticket;
DROP FUNCTION IF EXISTS support_ticket_assignee_grants();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0006_subject_search_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
