{%- for n in notes %}
-- {{ n }}
{%- endfor %}
CREATE TABLE IF NOT EXISTS {{ name }} (
{%- for c in columns %}
  {{ c.name }} {{ c.ty }}{% if c.not_null %} NOT NULL{% endif %}{% if let Some(m) = c.metadata %} METADATA FROM {{ m }} VIRTUAL{% endif %}{% if !loop.last || primary_key.is_some() %},{% endif %}
{%- endfor %}
{%- if let Some(pk) = primary_key %}
  PRIMARY KEY ({{ pk }}) NOT ENFORCED
{%- endif %}
) WITH (
{%- for o in options %}
  {{ o.0 }} = {{ o.1 }}{% if !loop.last %},{% endif %}
{%- endfor %}
)
