"""What backs a verb of the command line (``generate init``, ``new-unit``, ``template-check``, ``rules``) and
``docs/fields.md``: commands only; the library they use lives beside the stages (issue 28 item 7)."""
