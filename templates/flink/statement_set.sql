{%- for n in notes %}
-- {{ n }}
{%- endfor %}
EXECUTE STATEMENT SET
BEGIN
{%- for i in inserts %}
INSERT INTO {{ i.sink }}
SELECT {{ i.select }}
FROM {{ i.source }};
{%- endfor %}
END
