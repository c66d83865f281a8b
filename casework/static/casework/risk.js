// The running score on the risk assessment form. Progressive enhancement only: the
// server scores the answers again when the form is saved, and says why.
const form = document.querySelector('form[data-risk-high]')
const output = document.getElementById('running-score')

if (form && output) {
  const high = Number(form.dataset.riskHigh)
  const medium = Number(form.dataset.riskMedium)

  const update = () => {
    let score = 0
    let critical = false
    for (const input of form.querySelectorAll('input[type="radio"][data-points]:checked')) {
      score += Number(input.dataset.points)
      critical = critical || input.dataset.critical === 'true'
    }
    const level = critical || score >= high ? 'high' : score >= medium ? 'medium' : 'standard'
    output.textContent = `Score so far: ${score} (${level}${critical ? ': critical answer' : ''})`
  }

  form.addEventListener('change', update)
  output.hidden = false
  update()
}
