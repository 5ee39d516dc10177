async def test_help_page_explains_the_rules_with_the_values_in_force(client):
    response = await client.get("/help")
    assert response.status_code == 200
    text = response.text
    assert "Ketepatan waktu" in text and "mengurangi 5 poin" in text
    assert "Persyaratan" in text and "Sarana dan Prasarana" in text
    assert "75,00" in text and "384 responden" in text
    assert "Sangat Kurang" in text and "Butuh Perbaikan" in text
    assert "Butuh Perbaikan paling sedikit 60%" in text
    assert "%%" not in text and "%(" not in text


async def test_the_english_help_page_names_the_predikats_of_the_distribution_rules_in_english(client):
    text = (await client.get("/help", headers={"accept-language": "en"})).text
    assert "Poor and/or Needs improvement at least 10%" in text
    assert "at least one staff member rated Needs improvement or Poor" in text
    assert "dan/atau" not in text and "Butuh Perbaikan" not in text
